//! Markdown an integrator wrote (an app's setup instructions), rendered so a
//! tenant admin's page can show it: raw HTML is shown as text, and links and
//! images keep only http(s) and mailto targets.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

fn safe_target(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

/// A link or image target, or nothing when it is not http(s) or mailto.
fn checked(url: CowStr<'_>) -> CowStr<'_> {
    if safe_target(&url) {
        url
    } else {
        CowStr::Borrowed("")
    }
}

/// HTML for `markdown`, safe to put in a page.
pub fn render_safe(markdown: &str) -> String {
    let events = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|event| match event {
        // Raw HTML becomes visible text, escaped by the renderer.
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: checked(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: checked(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::render_safe;

    #[test]
    fn markdown_renders_without_scripts_or_dangerous_links() {
        let html = render_safe(
            "1. Open **Settings**\n2. Paste the key\n\n<script>alert(1)</script>\n\n\
             [ok](https://docs.example) [bad](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(
            html.contains("<ol>") && html.contains("<strong>Settings</strong>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://docs.example\">ok</a>"),
            "{html}"
        );
        assert!(
            !html.contains("<script") && html.contains("&lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<img"), "{html}");
    }
}
