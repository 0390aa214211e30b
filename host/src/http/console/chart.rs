//! Usage as a server-rendered SVG bar chart (no script, no image request),
//! with the same numbers as a table for screen readers.

use maud::{Markup, html};

/// One bar per day: `(date, value)`, oldest first.
pub(super) fn bars(title: &str, days: &[(String, i64)]) -> Markup {
    const W: f64 = 600.0;
    const H: f64 = 180.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 24.0;
    let max = days.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    // A round top for the axis: 1, 2, 5 × 10ⁿ.
    let mut top = 1i64;
    while top < max {
        top = match top.to_string().as_bytes()[0] {
            b'1' => top * 2,
            b'2' => top / 2 * 5,
            _ => top * 2,
        };
    }
    let n = days.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let plot = H - BOTTOM - 8.0;
    let total: i64 = days.iter().map(|(_, v)| v).sum();
    html! {
        figure style="margin:0" {
            svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby="chart-title" {
                title #chart-title { (title) ": " (total) " in " (days.len()) " days" }
                line x1=(LEFT) y1=(H - BOTTOM) x2=(W) y2=(H - BOTTOM) stroke="#57606a" {}
                text x=(LEFT - 6.0) y=(H - BOTTOM) text-anchor="end" font-size="11" fill="#1f2328" { "0" }
                text x=(LEFT - 6.0) y="16" text-anchor="end" font-size="11" fill="#1f2328" { (top) }
                line x1=(LEFT) y1="12" x2=(W) y2="12" stroke="#d0d7de" stroke-dasharray="3 3" {}
                @for (i, (date, v)) in days.iter().enumerate() {
                    @let h = plot * (*v as f64) / (top as f64);
                    @let x = LEFT + slot * i as f64 + 1.0;
                    rect x=(format!("{x:.1}")) y=(format!("{:.1}", H - BOTTOM - h)) width=(format!("{:.1}", (slot - 2.0).max(1.0))) height=(format!("{h:.1}")) style="fill:var(--accent)" {
                        title { (date) ": " (v) }
                    }
                }
                @if let (Some((first, _)), Some((last, _))) = (days.first(), days.last()) {
                    text x=(LEFT) y=(H - 6.0) font-size="11" fill="#1f2328" { (first) }
                    text x=(W) y=(H - 6.0) text-anchor="end" font-size="11" fill="#1f2328" { (last) }
                }
            }
            details {
                summary { "Show the numbers" }
                table {
                    thead { tr { th scope="col" { "Day" } th scope="col" { (title) } } }
                    tbody {
                        @for (date, v) in days.iter().rev() {
                            tr { td { (date) } td { (v) } }
                        }
                    }
                }
            }
        }
    }
}
