//! The bare hello on a single-threaded runtime, as the two functions run: `make coldstart` shows it
//! for reference, so the part of their advantage that is the runtime alone is visible.

use axum::Router;
use axum::routing::get;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let router = Router::new().fallback(get(|| async { "hello" }));
    lambda_http::run(router).await
}
