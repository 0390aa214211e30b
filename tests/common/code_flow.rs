//! The authorization code flow as a browser drives it over HTTP (login and
//! consent pages, the code in the redirect), for tests that need its tokens.

use super::{encode_form, hidden_field, pkce, post_form};

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

    /// The whole flow for `user` (login, then consent if asked), and the
    /// code exchanged with PKCE by a client with `secret`: the token response.
    pub async fn tokens(
        &self,
        tenant: &str,
        user: &str,
        password: &str,
        redirect: &str,
        scope: &str,
        secret: &str,
    ) -> serde_json::Value {
        let (verifier, challenge) = pkce();
        let params = [
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("scope", scope),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        let (_, login_page, _) = self.get(&self.authorize_url(&params)).await;
        let (_, _, location) = self.login(tenant, &login_page, user, password).await;
        let next = url::Url::parse(&self.issuer)
            .unwrap()
            .join(&location.expect("a signed-in user is sent on"))
            .unwrap();
        let (status, page, location) = self.get(next.as_str()).await;
        let location = if status == 200 {
            self.decide(tenant, &page, "approve").await.2
        } else {
            location
        };
        let code = query_of(&location.unwrap())["code"].clone();
        let r = post_form(
            &format!("{}/token", self.issuer),
            Some((&self.client_id, secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }
}

pub fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}
