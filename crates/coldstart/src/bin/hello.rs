//! The smallest useful Lambda function: `lambda_http` serving an axum router with one answer, as
//! its documentation writes it. Its cold start is what `make coldstart` measures the two functions
//! against.

use axum::Router;
use axum::routing::get;

// lambda_http's minimal example as written: Tokio's default (multi-threaded) runtime.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let router = Router::new().fallback(get(|| async { "hello" }));
    lambda_http::run(router).await
}
