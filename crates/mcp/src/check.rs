//! A step of the MCP pipeline that looks at the request and either passes it on (perhaps with a
//! header or an extension added) or answers instead: [`crate::origin`], [`crate::compat`] and
//! [`crate::step_up`]. axum's `from_fn` clones the rest of the pipeline into a box and boxes its
//! future on every request; a check does neither, and is a plain function, tested as one.

use crate::AppState;
use axum::extract::Request;
use axum::response::Response;
use futures_util::future::Either;
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::ops::ControlFlow;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// What a check decides: go on (`Continue`), or answer instead (`Break` with the answer).
pub type Rule = fn(&AppState, &mut Request) -> ControlFlow<Response>;

/// The layer that applies a [`Rule`] in front of what it wraps.
#[derive(Clone)]
pub struct Check {
    state: AppState,
    rule: Rule,
}

impl Check {
    pub fn new(state: &AppState, rule: Rule) -> Self {
        Self {
            state: state.clone(),
            rule,
        }
    }
}

impl<S> Layer<S> for Check {
    type Service = Checked<S>;

    fn layer(&self, inner: S) -> Checked<S> {
        Checked {
            check: self.clone(),
            inner,
        }
    }
}

/// A [`Check`] in front of `S`.
#[derive(Clone)]
pub struct Checked<S> {
    check: Check,
    inner: S,
}

impl<S> Service<Request> for Checked<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, Ready<Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        match (self.check.rule)(&self.check.state, &mut request) {
            ControlFlow::Continue(()) => Either::Left(self.inner.call(request)),
            ControlFlow::Break(answer) => Either::Right(ready(Ok(answer))),
        }
    }
}
