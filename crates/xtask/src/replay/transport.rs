//! Where a replay sends its requests: in process to a router, over HTTP to a server, or as Lambda
//! events to cargo lambda watch or sam local.

use axum::Router;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use remote_mcp_testkit::http::Reply;
use serde_json::Value;
use tower::ServiceExt;

/// Delivers an event and returns the response.
pub trait Transport {
    /// Sends `event` (placeholders filled, body encoded as flagged).
    fn send(&self, event: Value) -> impl std::future::Future<Output = anyhow::Result<Reply>>;
}

/// The router, fed exactly what `lambda_http` makes of the event on Lambda.
pub struct InProcess(pub Router);

impl Transport for InProcess {
    async fn send(&self, event: Value) -> anyhow::Result<Reply> {
        let request = lambda_http::request::from_str(&event.to_string())?;
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()));
        let response = self.0.clone().oneshot(request).await?;
        Ok(remote_mcp_testkit::http::read(response).await)
    }
}

/// A running server (`make run`, `cargo lambda watch`, or a deployed stack).
pub struct OverHttp {
    pub base: String,
    pub client: reqwest::Client,
}

impl OverHttp {
    /// Sends to `base` (e.g. `http://127.0.0.1:8787`), following no redirects.
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }
}

impl Transport for OverHttp {
    async fn send(&self, event: Value) -> anyhow::Result<Reply> {
        let method = event["requestContext"]["http"]["method"]
            .as_str()
            .unwrap_or("GET");
        let path = event["rawPath"].as_str().unwrap_or("/");
        let query = event["rawQueryString"].as_str().unwrap_or("");
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let mut request = self.client.request(method.parse()?, url);
        if let Some(headers) = event["headers"].as_object() {
            for (name, value) in headers {
                if !matches!(name.as_str(), "host" | "content-length") {
                    request = request.header(name, value.as_str().unwrap_or_default());
                }
            }
        }
        if let Some(cookies) = event["cookies"].as_array() {
            let joined: Vec<&str> = cookies.iter().filter_map(Value::as_str).collect();
            request = request.header("cookie", joined.join("; "));
        }
        if let Some(body) = event["body"].as_str() {
            let bytes = if event["isBase64Encoded"] == Value::Bool(true) {
                STANDARD.decode(body)?
            } else {
                body.as_bytes().to_vec()
            };
            request = request.body(bytes);
        }
        let response = request.send().await?;
        Ok(Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await?,
        })
    }
}

/// The real Lambda binaries, invoked through a Lambda runtime emulator (`cargo lambda watch`) with
/// the API Gateway event itself; each path goes to the function API Gateway routes it to.
pub struct LambdaInvoke {
    pub endpoint: String,
    pub client: reqwest::Client,
}

/// The function API Gateway sends `path` to (the routes of `template.yaml`, which a test holds to
/// each function's `PATHS`).
pub fn function_for(path: &str) -> &'static str {
    let oauth = oauth_function::PATHS.contains(&path)
        || path
            .strip_prefix("/register/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/'));
    if oauth {
        "oauth-function"
    } else {
        "mcp-function"
    }
}

impl Transport for LambdaInvoke {
    async fn send(&self, event: Value) -> anyhow::Result<Reply> {
        let function = function_for(event["rawPath"].as_str().unwrap_or("/"));
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.endpoint
        );
        let response: Value = self
            .client
            .post(url)
            .json(&event)
            .send()
            .await?
            .json()
            .await?;
        let status = response["statusCode"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| anyhow::anyhow!("not an API Gateway response: {response}"))?;
        let mut headers = HeaderMap::new();
        for (name, value) in response["headers"].as_object().into_iter().flatten() {
            headers.append(
                HeaderName::try_from(name.as_str())?,
                HeaderValue::try_from(value.as_str().unwrap_or_default())?,
            );
        }
        for cookie in response["cookies"].as_array().into_iter().flatten() {
            headers.append(
                header::SET_COOKIE,
                HeaderValue::try_from(cookie.as_str().unwrap_or_default())?,
            );
        }
        let body = response["body"].as_str().unwrap_or_default();
        let body = if response["isBase64Encoded"] == Value::Bool(true) {
            String::from_utf8_lossy(&STANDARD.decode(body)?).into_owned()
        } else {
            body.to_owned()
        };
        Ok(Reply {
            status,
            headers,
            text: body,
        })
    }
}
