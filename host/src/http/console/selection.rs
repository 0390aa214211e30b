//! Choosing which of the tenant's resources (projects, clinics, …) an app
//! may touch: all of them, or a selection — searchable on the server so it
//! works without JavaScript and with a thousand resources. The form posts
//! back to itself to search (`action=search`), to select every match
//! (`select_matching`) or to clear; what is already selected stays selected
//! and is listed first.

use super::Form;
use crate::domain::installation::Selection;
use crate::domain::manifest::ResourceType;
use crate::store::Resource;
use maud::{Markup, html};
use std::collections::BTreeSet;

/// Most matches listed at once; a search narrows the rest.
const SHOWN: usize = 200;

/// The selection as the form holds it.
#[derive(Clone, Debug, Default)]
pub(super) struct Picked {
    pub all: bool,
    /// (type, id) pairs.
    pub ids: BTreeSet<(String, String)>,
    pub query: String,
}

impl Picked {
    pub fn of(selection: &Selection) -> Picked {
        match selection {
            Selection::All => Picked {
                all: true,
                ..Default::default()
            },
            Selection::Some(map) => Picked {
                all: false,
                ids: map
                    .iter()
                    .flat_map(|(k, ids)| ids.iter().map(move |i| (k.clone(), i.clone())))
                    .collect(),
                query: String::new(),
            },
        }
    }

    /// What the form says, after its action (search, select matches, clear).
    pub fn from_form(form: &Form, resources: &[Resource]) -> Picked {
        let mut p = Picked {
            all: form.get("resources") == Some("all"),
            ids: form
                .all("r")
                .iter()
                .filter_map(|v| v.split_once(':'))
                .map(|(k, i)| (k.to_string(), i.to_string()))
                .collect(),
            query: form.get("q").unwrap_or_default().trim().to_string(),
        };
        match form.get("action") {
            Some("select_matching") => {
                p.all = false;
                let q = p.query.to_lowercase();
                for r in resources.iter().filter(|r| matches(r, &q)) {
                    p.ids.insert((r.kind.clone(), r.id.clone()));
                }
            }
            Some("clear") => {
                p.ids.clear();
            }
            _ => {}
        }
        p
    }

    /// The selection to save: only resources of the app's types that exist.
    pub fn to_json(&self, types: &[ResourceType], resources: &[Resource]) -> serde_json::Value {
        if self.all {
            return serde_json::json!("all");
        }
        let mut map = serde_json::Map::new();
        for t in types {
            let ids: Vec<&str> = resources
                .iter()
                .filter(|r| r.kind == t.kind && self.ids.contains(&(r.kind.clone(), r.id.clone())))
                .map(|r| r.id.as_str())
                .collect();
            map.insert(t.kind.clone(), serde_json::json!(ids));
        }
        serde_json::Value::Object(map)
    }
}

fn matches(r: &Resource, lowercase_query: &str) -> bool {
    lowercase_query.is_empty()
        || r.name.to_lowercase().contains(lowercase_query)
        || r.id.to_lowercase().contains(lowercase_query)
}

/// The plural name people read for the app's resources ("Projects").
pub(super) fn names(types: &[ResourceType]) -> String {
    let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
    match names.as_slice() {
        [] => "resources".into(),
        [one] => (*one).into(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// How a resource is named in the list: with its type when the app uses
/// several, and its id only where a name alone would not tell two apart.
struct Tell<'a> {
    types: &'a [ResourceType],
    names: std::collections::HashMap<&'a str, usize>,
}

impl<'a> Tell<'a> {
    fn new(types: &'a [ResourceType], of_app: &[&'a Resource]) -> Self {
        let mut names = std::collections::HashMap::new();
        for r in of_app {
            *names.entry(r.name.as_str()).or_default() += 1;
        }
        Tell { types, names }
    }

    fn checkbox(&self, r: &Resource, checked: bool) -> Markup {
        let type_name = self
            .types
            .iter()
            .find(|t| t.kind == r.kind)
            .map_or(r.kind.as_str(), |t| t.name.as_str());
        let ambiguous = self.names.get(r.name.as_str()).is_some_and(|n| *n > 1);
        html! {
            label.inline {
                input type="checkbox" name="r" value={ (r.kind) ":" (r.id) } checked[checked];
                span { (r.name) @if self.types.len() > 1 { " (" (type_name) ")" } @if ambiguous { " " span.muted { (r.id) } } }
            }
        }
    }
}

/// The selection fieldset; the enclosing form's first submit button must
/// be the search one this renders, so Enter in the search box searches.
pub(super) fn fieldset(p: &Picked, types: &[ResourceType], resources: &[Resource]) -> Markup {
    // In the order people look for them: by name.
    let mut of_app: Vec<&Resource> = resources
        .iter()
        .filter(|r| types.iter().any(|t| t.kind == r.kind))
        .collect();
    of_app.sort_by_cached_key(|r| (r.name.to_lowercase(), r.id.clone()));
    let label = names(types);
    let q = p.query.to_lowercase();
    let selected: Vec<&&Resource> = of_app
        .iter()
        .filter(|r| p.ids.contains(&(r.kind.clone(), r.id.clone())))
        .collect();
    let matching: Vec<&&Resource> = of_app
        .iter()
        .filter(|r| !p.ids.contains(&(r.kind.clone(), r.id.clone())) && matches(r, &q))
        .collect();
    let tell = Tell::new(types, &of_app);
    html! {
        fieldset #resources {
            legend { "Which " (label) " may it use?" }
            label.inline {
                input type="radio" name="resources" value="all" checked[p.all];
                span { "All " (label) ", including ones added later" }
            }
            label.inline {
                input type="radio" name="resources" value="some" checked[!p.all];
                span { "Only the " (label) " I select below" }
            }
            @if of_app.is_empty() {
                p.muted { "Your organisation has no " (label) " yet." }
            } @else {
                label for="resource-search" { "Search " (label) }
                div style="display:flex;gap:.5rem;align-items:stretch;flex-wrap:wrap" {
                    input #resource-search type="search" name="q" value=(p.query) style="flex:1 1 12rem";
                    button type="submit" name="action" value="search" style="margin:0" { "Search" }
                }
                @if !p.query.is_empty() {
                    p.muted { (matching.len()) " more match \u{201c}" (p.query) "\u{201d}." }
                }
                div.pick {
                    // Groups of boxes are fieldsets: their legends are read with
                    // each box, and they sit below the page's headings in any order.
                    @if !selected.is_empty() {
                        fieldset {
                            legend { "Selected" }
                            @for r in &selected {
                                (tell.checkbox(r, true))
                            }
                        }
                    }
                    @if !matching.is_empty() {
                        fieldset {
                            legend { @if p.query.is_empty() { "All " (label) } @else { "Matching" } }
                            @for r in matching.iter().take(SHOWN) {
                                (tell.checkbox(r, false))
                            }
                            @if matching.len() > SHOWN {
                                p.muted { (matching.len() - SHOWN) " more not shown: search to narrow the list." }
                            }
                        }
                    }
                }
                // Counted by CSS from the ticked boxes, so it follows each
                // click with no script; the text is the count at load.
                p.selection-count #selection-count {
                    span.live data-loaded=(selected.len()) {} " of " (super::trail::thousands(of_app.len() as i64)) " selected"
                }
                button type="submit" name="action" value="select_matching" {
                    @if p.query.is_empty() { "Select all " (label) } @else { "Select all matching" }
                }
                @if !selected.is_empty() {
                    button type="submit" name="action" value="clear" { "Clear selection" }
                }
            }
        }
    }
}
