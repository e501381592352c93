//! Helpers shared by the simulator's HTTP tests.

use gbg_go_simulator::{Simulator, SimulatorConfig};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// A running simulator and an HTTP client for it.
pub struct Harness {
    pub sim: Simulator,
    pub http: reqwest::Client,
}

/// A decoded answer.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// `errors[0]` of GBG's envelope.
    pub fn problem(&self) -> &Value {
        &self.body["errors"][0]
    }

    /// `errors[0].problem`, the text of GBG's envelope.
    pub fn problem_text(&self) -> &str {
        self.problem()["problem"].as_str().unwrap()
    }

    /// The `X-Request-ID` header.
    pub fn request_id(&self) -> String {
        self.headers["x-request-id"].to_str().unwrap().to_owned()
    }
}

/// Every field of the hosted page's form, valid (what `gbg-go demo` types).
pub use gbg_go_simulator::end_user::ANSWERS as PERSON;

impl Harness {
    pub async fn start() -> Harness {
        Harness::with(SimulatorConfig::default()).await
    }

    /// A started simulator and a customer token for it.
    pub async fn signed_in() -> (Harness, String) {
        Harness::signed_in_with(|_| {}).await
    }

    /// A simulator started with the default configuration changed by
    /// `configure`, and a customer token for it.
    pub async fn signed_in_with(configure: impl FnOnce(&mut SimulatorConfig)) -> (Harness, String) {
        let mut config = SimulatorConfig::default();
        configure(&mut config);
        let h = Harness::with(config).await;
        let token = h.token().await;
        (h, token)
    }

    /// A started simulator, a customer token and an instance of scenario
    /// `name` started with `delivery`.
    pub async fn with_journey(name: &str, delivery: &str) -> (Harness, String, String) {
        let (h, token) = Harness::signed_in().await;
        let id = h.start_journey(&token, name, delivery).await;
        (h, token, id)
    }

    pub async fn with(config: SimulatorConfig) -> Harness {
        let sim = Simulator::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("simulator starts");
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        Harness { sim, http }
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// POSTs a form to the token URL (or `path` below the origin).
    pub async fn token_request(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let url = format!("{}{path}", self.sim.origin());
        Self::answer(self.http.post(url).form(form).send().await.unwrap()).await
    }

    /// The token endpoint's answer to a `client_credentials` grant with the simulator's
    /// credentials.
    pub async fn request_token(&self) -> Answer {
        let form = self.sim.credentials().client_credentials_form();
        self.token_request("/as/token.oauth2", &form).await
    }

    /// A customer access token (client_credentials grant).
    pub async fn token(&self) -> String {
        let answer = self.request_token().await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    /// GETs `journey/...` below the API base.
    pub async fn get(&self, path: &str) -> Answer {
        let url = format!("{}/{path}", self.sim.base_url());
        Self::answer(self.http.get(url).send().await.unwrap()).await
    }

    /// POSTs JSON to `journey/...` below the API base.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        let mut request = self
            .http
            .post(format!("{}/{path}", self.sim.base_url()))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    /// Starts scenario `name` with `delivery` and `subject`; returns the instance id.
    pub async fn start_journey(&self, token: &str, name: &str, delivery: &str) -> String {
        let body = json!({
            "resourceId": self.sim.journey_resource_id(name).unwrap(),
            "context": {"config": {"delivery": delivery}, "subject": {}},
        });
        let answer = self.post("journey/start", Some(token), &body).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body["instanceId"].as_str().unwrap().to_owned()
    }

    /// POSTs `journey/state/delete` for instance `id`.
    pub async fn delete_state(&self, token: &str, id: &str) -> Answer {
        let body = json!({"instanceId": id});
        self.post("journey/state/delete", Some(token), &body).await
    }

    /// POSTs `journey/device/start` for instance `id` with `scope`.
    pub async fn device_start(&self, token: &str, id: &str, scope: Value) -> Answer {
        let body = json!({"instanceId": id, "scope": scope});
        self.post("journey/device/start", Some(token), &body).await
    }

    /// POSTs `body` to `journey/device/connect` with `connect_token` as bearer.
    pub async fn device_connect(&self, connect_token: &str, body: &Value) -> Answer {
        self.post("journey/device/connect", Some(connect_token), body)
            .await
    }

    /// POSTs `journey/state/fetch` for instance `id`.
    pub async fn fetch_state(&self, token: &str, id: &str) -> Answer {
        let body = json!({"instanceId": id});
        self.post("journey/state/fetch", Some(token), &body).await
    }

    /// Fetches the state document (asserting 200).
    pub async fn state(&self, token: &str, id: &str) -> Value {
        let answer = self.fetch_state(token, id).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body
    }

    /// POSTs `journey/interaction/fetch` for instance `id`.
    pub async fn fetch_interaction(&self, token: &str, id: &str) -> Answer {
        let body = json!({"instanceId": id});
        self.post("journey/interaction/fetch", Some(token), &body)
            .await
    }

    /// GETs a path below the origin; returns status and body text.
    pub async fn get_page(&self, path: &str) -> (u16, HeaderMap, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.sim.origin()))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.unwrap())
    }

    /// POSTs the hosted page form of instance `id`.
    pub async fn submit_page(&self, id: &str, form: &[(&str, &str)]) -> (u16, String) {
        let url = format!("{}/journey/{id}", self.sim.origin());
        let response = self.http.post(url).form(form).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}
