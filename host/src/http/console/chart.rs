//! Usage as a bar chart drawn in HTML and CSS (no script, no image
//! request): its labels are page text, so they stay readable at any width.
//! The same numbers, oldest first like the bars, are in a table beside it.

use super::trail::thousands;
use maud::{Markup, html};

/// What the chart can show, chosen with `?metric=`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Metric {
    Tokens,
    Denied,
    Evaluations,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Tokens, Metric::Denied, Metric::Evaluations];

    pub fn parse(s: Option<&str>) -> Metric {
        match s {
            Some("denied") => Metric::Denied,
            Some("evaluations") => Metric::Evaluations,
            _ => Metric::Tokens,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Metric::Tokens => "tokens",
            Metric::Denied => "denied",
            Metric::Evaluations => "evaluations",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::Tokens => "Tokens issued",
            Metric::Denied => "Requests refused",
            Metric::Evaluations => "Permission checks",
        }
    }
}

/// The periods offered, in days.
pub(super) const PERIODS: [i64; 3] = [7, 30, 90];

/// A round top for the axis at or above `max` (1, 2, 4, 5 or 8 × 10ⁿ,
/// divisible by four), and the four even steps to it.
fn axis(max: i64) -> (i64, Vec<i64>) {
    let mut scale = 1i64;
    let top = loop {
        if let Some(top) = [1, 2, 4, 5, 8]
            .iter()
            .map(|m| m * scale)
            .find(|t| *t >= max && t % 4 == 0)
        {
            break top;
        }
        scale = scale.saturating_mul(10);
    };
    (top, (0..=4).map(|k| top / 4 * k).collect())
}

/// Bars for `days` (`(date, value)`, oldest first) of one metric.
pub(super) fn bars(metric: Metric, days: &[(String, i64)]) -> Markup {
    let max = days.iter().map(|(_, v)| *v).max().unwrap_or(0);
    let (top, ticks) = axis(max);
    let total: i64 = days.iter().map(|(_, v)| v).sum();
    // Dates under the axis: every day of a week, else every week (three
    // of 90 days), and the last day, never crowding it.
    let step = match days.len() {
        0..=7 => 1,
        8..=31 => 7,
        _ => 21,
    };
    let last = days.len().saturating_sub(1);
    let labelled = |i: usize| i == last || (i % step == 0 && last - i > step / 2);
    html! {
        figure.usage {
            figcaption #chart-title {
                (metric.label()) ", " (days.len()) " days: " strong { (thousands(total)) } " in all"
            }
            div.plot role="img" aria-labelledby="chart-title" {
                div.y-axis aria-hidden="true" {
                    @for t in ticks.iter().rev() { span { (thousands(*t)) } }
                }
                div.area {
                    @for (date, v) in days {
                        @let pct = 100.0 * (*v as f64) / (top as f64);
                        span.bar style={ "height:" (format!("{pct:.1}")) "%" } title={ (date) ": " (thousands(*v)) } data-value=(v) {}
                    }
                }
                div {}
                div.x-axis aria-hidden="true" {
                    @for (i, (date, _)) in days.iter().enumerate() {
                        span { @if labelled(i) { (short_date(date)) } }
                    }
                }
            }
        }
    }
}

/// `2026-12-02` → `Dec 2`.
fn short_date(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = date.split('-').skip(1);
    match (
        parts.next().and_then(|m| m.parse::<usize>().ok()),
        parts.next().and_then(|d| d.parse::<u32>().ok()),
    ) {
        (Some(m @ 1..=12), Some(d)) => format!("{} {d}", MONTHS[m - 1]),
        _ => date.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_has_round_even_steps_above_the_highest_bar() {
        assert_eq!(axis(0), (4, vec![0, 1, 2, 3, 4]));
        assert_eq!(axis(3), (4, vec![0, 1, 2, 3, 4]));
        assert_eq!(axis(9).0, 20);
        assert_eq!(axis(5426), (8_000, vec![0, 2_000, 4_000, 6_000, 8_000]));
        assert_eq!(axis(40_001).0, 50_000);
        for max in [1, 7, 13, 99, 101, 999, 12_345] {
            let (top, ticks) = axis(max);
            assert!(top >= max && top % 4 == 0, "{max} → {top}");
            assert_eq!(ticks.len(), 5);
        }
    }

    #[test]
    fn dates_are_short() {
        assert_eq!(short_date("2026-12-02"), "Dec 2");
        assert_eq!(short_date("junk"), "junk");
    }
}
