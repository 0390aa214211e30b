//! The authorization code flow as a browser drives it over HTTP (login and
//! consent pages, the code in the redirect), for tests that need its tokens.

use super::{encode_form, hidden_field};

pub struct Flow {
    pub issuer: String,
    pub client_id: String,
    pub browser: reqwest::Client,
}

impl Flow {
    pub fn authorize_url(&self, extra: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&format!("{}/authorize", self.issuer)).unwrap();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.client_id);
            for (k, v) in extra {
                q.append_pair(k, v);
            }
        }
        url.to_string()
    }

    pub async fn get(&self, url: &str) -> (u16, String, Option<String>) {
        let r = self.browser.get(url).send().await.unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, r.text().await.unwrap(), location)
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let base = url::Url::parse(&self.issuer).unwrap();
        let url = base.join(path).unwrap();
        let r = self
            .browser
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(form))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, r.text().await.unwrap(), location)
    }

    /// Logs in on the login page `html`; returns where the server sends the browser.
    pub async fn login(
        &self,
        tenant: &str,
        html: &str,
        username: &str,
        password: &str,
    ) -> (u16, String, Option<String>) {
        let csrf = hidden_field(html, "csrf");
        let cont = hidden_field(html, "continue");
        self.post(
            &format!("/t/{tenant}/login"),
            &[
                ("csrf", &csrf),
                ("continue", &cont),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn decide(
        &self,
        tenant: &str,
        html: &str,
        decision: &str,
    ) -> (u16, String, Option<String>) {
        let csrf = hidden_field(html, "csrf");
        let cont = hidden_field(html, "continue");
        self.post(
            &format!("/t/{tenant}/consent"),
            &[("csrf", &csrf), ("continue", &cont), ("decision", decision)],
        )
        .await
    }
}

pub fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}
