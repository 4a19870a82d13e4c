//! The smallest useful Lambda function: `lambda_http` serving an axum router with one answer. Its
//! cold start is what `make coldstart` measures the two functions against.

use axum::Router;
use axum::routing::get;

// The same runtime as the two functions, so the comparison measures their initialisation alone.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let router = Router::new().fallback(get(|| async { "hello" }));
    lambda_http::run(router).await
}
