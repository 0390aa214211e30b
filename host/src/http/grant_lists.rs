//! What a person is asked to grant, as the consent and device pages list
//! it: scopes and RFC 9396 details, each in the tenant's words.

use crate::domain::authorization_details::Shown;
use maud::{Markup, html};

/// The scopes an app will get, each in the tenant's words with its name.
pub(super) fn scopes(scopes: &[(String, String)]) -> Markup {
    html! {
        ul.scopes {
            @for (scope, text) in scopes {
                li { (text) " " small { "(" (scope) ")" } }
            }
        }
    }
}

/// RFC 9396 details an app asks for, each under the tenant's words for its
/// type, with what the request names.
pub(super) fn details(details: &[Shown]) -> Markup {
    html! {
        @if !details.is_empty() {
            p { "For this request:" }
            ul.details {
                @for d in details {
                    li {
                        strong { (d.title) }
                        @if !d.lines.is_empty() {
                            dl {
                                @for (label, value) in &d.lines {
                                    dt { (label) }
                                    dd { (value) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
