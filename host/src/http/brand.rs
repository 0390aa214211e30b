//! How a tenant's pages look: its name, logo, accent colour and support
//! link on the login, consent, account and console pages, and the one
//! stylesheet they share (inline: the CSP allows no other source).

use crate::domain::settings::Branding;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// A tenant's branding, ready to render.
#[derive(Clone, Debug, Default)]
pub(super) struct Brand {
    /// The tenant's display name, else its slug; empty for pages of no tenant.
    pub name: String,
    pub logo_url: Option<String>,
    pub support_url: Option<String>,
    accent: String,
    on_accent: &'static str,
}

impl Brand {
    pub fn of(tenant: &str, b: &Branding) -> Brand {
        let (accent, on_accent) = b.accent();
        Brand {
            name: b.display_name.clone().unwrap_or_else(|| tenant.to_string()),
            logo_url: b.logo_url.clone(),
            support_url: b.support_url.clone(),
            accent,
            on_accent,
        }
    }

    /// Image origins the page must admit (`img-src`).
    pub fn image_origins(&self) -> Vec<String> {
        self.logo_url
            .as_deref()
            .and_then(crate::domain::settings::image_origin)
            .into_iter()
            .collect()
    }
}

/// The tenant's brand, or the plain one if its settings cannot be read.
pub(super) async fn load(s: &super::AppState, tenant: &str) -> Brand {
    match s.store.tenant_settings(tenant).await {
        Ok(settings) => Brand::of(tenant, &settings.branding),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the tenant's branding");
            Brand::of(tenant, &Branding::default())
        }
    }
}

const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;background:#f6f7f9;line-height:1.5}
a{color:#0b4f9c}
header.brand{background:var(--accent);color:var(--on-accent);padding:.5rem 1rem;display:flex;align-items:center;gap:.75rem;flex-wrap:wrap}
header.brand img{height:2rem;width:auto;max-width:8rem;object-fit:contain}
header.brand .name{font-weight:600;font-size:1.1rem}
header.brand a{color:var(--on-accent)}
header.brand .who{margin-left:auto;font-size:.9rem}
nav.console{background:#fff;border-bottom:1px solid #d0d7de;padding:0 .5rem}
nav.console ul{list-style:none;margin:0 auto;padding:0;display:flex;flex-wrap:wrap;max-width:64rem}
nav.console a{display:block;padding:.6rem .7rem;text-decoration:none;color:#1f2328;border-bottom:3px solid transparent}
nav.console a[aria-current=page]{border-bottom-color:var(--accent);font-weight:600}
nav.crumbs ol{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem;padding:0;margin:0 0 .25rem;font-size:.9rem}
nav.crumbs li+li::before{content:'\\203A';margin-right:.25rem;color:#57606a}
main{max-width:28rem;margin:2rem auto;padding:0 1rem}
main.wide{max-width:64rem;margin-top:1.25rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:1rem 0 .3rem}
label{display:block;margin:.8rem 0 .2rem}
label.inline,fieldset label{display:flex;gap:.5rem;align-items:flex-start;margin:.35rem 0}
input[type=text],input[type=password],input[type=email],input[type=url],input[type=search],textarea,select{width:100%;padding:.5rem;border:1px solid #8c959f;border-radius:4px;font:inherit}
input[type=color]{width:4rem;height:2.4rem}
fieldset{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
button,.button{display:inline-block;margin:.5rem .5rem 0 0;padding:.5rem 1rem;border:1px solid #57606a;border-radius:4px;background:#fff;color:#1f2328;font:inherit;cursor:pointer;text-decoration:none}
button.primary,.button.primary{background:var(--accent);border-color:var(--accent);color:var(--on-accent)}
button.danger{background:#b42318;border-color:#b42318;color:#fff}
form.inline{display:inline}
.error{color:#8a1c12;background:#fff4f2;border:1px solid #b42318;padding:.5rem .75rem;border-radius:4px}
.notice{background:#eef6ee;border:1px solid #2c7a3f;padding:.5rem .75rem;border-radius:4px}
.warning{background:#fff8e6;border:1px solid #9a6700;padding:.5rem .75rem;border-radius:4px}
.muted{color:#57606a}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.75rem 1rem;margin:.75rem 0;overflow-wrap:anywhere}
.card h2,.card h3{margin-top:.2rem}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;border:1px solid #57606a;font-size:.8rem;white-space:nowrap}
.badge.active{border-color:#2c7a3f;color:#1e5b2e}
.badge.suspended,.badge.dead{border-color:#b42318;color:#8a1c12}
.badge.upgrade_pending,.badge.pending,.badge.installing{border-color:#9a6700;color:#6c4a00}
ul.plain{list-style:none;padding:0}
ul.scopes li{margin:.3rem 0}
ul.details{padding-left:1.2rem}
ul.details li{margin:.4rem 0;overflow-wrap:anywhere}
ul.details dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .75rem;margin:.25rem 0;font-size:.95rem}
ul.details dt{color:#57606a}
ul.details dd{margin:0}
.logo{width:3rem;height:3rem;object-fit:contain;border-radius:6px;background:#fff;border:1px solid #d0d7de;float:right;margin-left:.5rem}
.logo.tile{display:flex;align-items:center;justify-content:center;color:#fff;font-weight:700;font-size:1.4rem;border:0}
form.filters{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:flex-end;margin-bottom:.5rem}
form.filters>div{flex:1 1 12rem}
form.filters>div:last-child{flex:0 0 auto}
p.perms{font-size:.9rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.75rem}
fieldset#resources{counter-reset:picked}
#resources .pick input[type=checkbox]:checked{counter-increment:picked}
.pick fieldset{border:0;margin:.25rem 0;padding:0}
.pick legend{font-weight:600;padding:0;margin:.4rem 0 .1rem}
.selection-count{font-weight:600;margin:.4rem 0 0}
.selection-count .live::before{content:counter(picked)}
.pick{max-height:24rem;overflow-y:auto;border:1px solid #d0d7de;border-radius:4px;padding:.25rem .75rem;background:#fff}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top;overflow-wrap:anywhere}
@media (max-width:40rem){
 table.stack thead{position:absolute;left:-9999px}
 table.stack tr{display:block;border-bottom:2px solid #d0d7de;padding:.25rem 0}
 table.stack td{display:block;border:0;padding:.15rem .5rem}
 table.stack td[data-label]::before{content:attr(data-label) ': ';font-weight:600}
 header.brand .who{margin-left:0}
 nav.console ul{flex-wrap:nowrap;overflow-x:auto;scrollbar-width:thin}
 nav.console a{padding:.5rem .55rem;white-space:nowrap}
}
figure.usage{margin:0 0 1rem;max-width:48rem}
figure.usage figcaption{margin-bottom:.4rem}
.plot{display:grid;grid-template-columns:auto 1fr;column-gap:.4rem;background:#fff;border:1px solid #d0d7de;border-radius:4px;padding:.9rem .9rem .4rem .5rem}
.y-axis{display:flex;flex-direction:column;justify-content:space-between;height:12rem;margin:-.6em 0;font-size:.8rem;line-height:1.2;color:#57606a;text-align:right}
.area{height:12rem;display:flex;align-items:flex-end;gap:2px;border-left:1px solid #57606a;border-bottom:1px solid #57606a;background:repeating-linear-gradient(to top,transparent 0,transparent calc(25% - 1px),#d0d7de calc(25% - 1px),#d0d7de 25%)}
.area .bar{flex:1 1 0;background:var(--accent)}
.x-axis{display:flex;gap:2px;padding-top:.2rem;font-size:.8rem;color:#57606a}
.x-axis span{flex:1 1 0;min-width:0;display:flex;white-space:nowrap}
.x-axis span:last-child{justify-content:flex-end}
nav.choices{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.25rem 0 .75rem}
nav.choices a[aria-current]{font-weight:600;color:#1f2328;text-decoration:none}
td.shrink,th.shrink{white-space:nowrap;width:1%}
input+small.muted{display:block;margin-top:.15rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
footer{max-width:28rem;margin:2rem auto;padding:0 1rem;color:#57606a;font-size:.9rem}
footer.wide{max-width:64rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
section.record{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:.75rem 0}
section.record:not(:target){display:none}
section.record pre{background:#f6f7f9;padding:.5rem;border-radius:4px;font-size:.85rem}
";

/// A whole page: the tenant's header, then `body` in `main` (`wide` for
/// the console), `nav` between them when given.
pub(super) fn page(
    brand: &Brand,
    title: &str,
    wide: bool,
    nav: Option<Markup>,
    who: Option<Markup>,
    body: Markup,
) -> Markup {
    let vars = format!(
        ":root{{--accent:{};--on-accent:{}}}",
        brand.accent, brand.on_accent
    );
    let full_title = if brand.name.is_empty() {
        title.to_string()
    } else {
        format!("{title} \u{2013} {}", brand.name)
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (full_title) }
                // Both strings are ours: the colours are validated #rrggbb.
                style { (PreEscaped(vars)) (PreEscaped(STYLE)) }
            }
            body {
                @if !brand.name.is_empty() {
                    header.brand {
                        @if let Some(logo) = &brand.logo_url {
                            img src=(logo) alt="" width="32" height="32";
                        }
                        span.name { (brand.name) }
                        @if let Some(who) = who { span.who { (who) } }
                    }
                }
                @if let Some(nav) = nav { (nav) }
                main.wide[wide] { (body) }
                @if let Some(help) = &brand.support_url {
                    // In the column of the page's content, as wide as it.
                    footer.wide[wide] { "Need help? " a href=(help) { "Contact " (brand.name) " support" } }
                }
            }
        }
    }
}
