//! The MCP server: rmcp's [`ServerHandler`] over the store, for one authenticated caller per request.
//!
//! Tools come from [`crate::tools`]; this file adds the server's identity, the per-user note
//! resources (`note://{id}`, with a template), one prompt, and the rule that arguments which do not
//! fit a tool's input schema are a tool error the model can fix, not a protocol error (SEP-1303).

use crate::elsewhere::Elsewhere;
use crate::long_running::Progress;
use crate::principal::Principal;
use crate::tasks::Tasks;
use http::request::Parts;
use remote_mcp_core::NoteStore;
use rmcp::handler::server::common::{AsRequestContext, FromContextPart};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorCode,
    GetTaskMethod, JsonObject, NumberOrString,
};
use rmcp::service::{Peer, RequestContext, RxJsonRpcMessage, TxJsonRpcMessage, serve_directly};
use rmcp::transport::Transport;
use rmcp::{ErrorData, RoleServer};
use std::sync::{Arc, OnceLock};

mod handler;

/// URI scheme of note resources.
const NOTE_SCHEME: &str = "note://";
/// The one prompt.
const SUMMARIZE: &str = "summarize_notes";

/// The resource URI of a note.
pub fn note_uri(id: &str) -> String {
    format!("{NOTE_SCHEME}{id}")
}

/// One per container; each request serves a clone (two `Arc`s). The tool router (every tool's
/// definition and schemas) is built by the first request that needs it and then shared.
#[derive(Clone)]
pub struct McpServer {
    pub(crate) notes: Arc<dyn NoteStore>,
    /// The most characters of a tool result sent ([`crate::result_limit`]).
    result_limit: usize,
    tool_router: Arc<OnceLock<ToolRouter<Self>>>,
    peer: Arc<OnceLock<Peer<RoleServer>>>,
    /// Tool calls as tasks ([`crate::tasks`]); without, the extension is not offered.
    tasks: Option<Tasks>,
    /// Providers' APIs called as the person (the token vault); without, the tools that need
    /// them are not offered.
    elsewhere: Option<Elsewhere>,
}

impl McpServer {
    /// A server keeping its tools' data in `notes`.
    pub fn new(notes: Arc<dyn NoteStore>) -> Self {
        Self {
            notes,
            result_limit: remote_mcp_core::config::DEFAULT_MAX_TOOL_RESULT_CHARS,
            tool_router: Arc::default(),
            peer: Arc::default(),
            tasks: None,
            elsewhere: None,
        }
    }

    /// Offers the tools that call providers' APIs as the person, for the providers `elsewhere`
    /// keeps tokens of.
    pub fn with_elsewhere(mut self, elsewhere: Elsewhere) -> Self {
        self.elsewhere = Some(elsewhere);
        self.tool_router = Arc::default();
        self
    }

    /// The vault's access to providers (its tools are offered only with it).
    pub(crate) fn elsewhere(&self) -> Result<&Elsewhere, String> {
        self.elsewhere
            .as_ref()
            .ok_or_else(|| "no provider keeps tokens for tools here".to_owned())
    }

    /// Offers the Tasks extension: long tool calls become tasks in `tasks`.
    pub fn with_tasks(mut self, tasks: Tasks) -> Self {
        self.tasks = Some(tasks);
        self
    }

    /// What runs tool calls as tasks, if this server offers them.
    pub fn tasks(&self) -> Option<&Tasks> {
        self.tasks.as_ref()
    }

    /// Runs tool `name` for `caller`, outside any request (a task's work): the same tool router,
    /// argument checks and result limit as a call in a request, with `progress` for the tool.
    pub async fn run_tool(
        &self,
        caller: Principal,
        name: String,
        arguments: Option<JsonObject>,
        progress: Progress,
    ) -> Result<CallToolResult, ErrorData> {
        let mut context = RequestContext::new(NumberOrString::Number(0), self.detached_peer());
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.extensions.insert(caller);
        context.extensions.insert(parts);
        context.extensions.insert(progress);
        let mut request = CallToolRequestParams::new(name);
        request.arguments = arguments;
        match self.call_in_request(request, context).await? {
            CallToolResponse::Complete(result) => Ok(result),
            _ => Err(ErrorData::internal_error("the tool did not answer", None)),
        }
    }

    /// A tool call answered in its request: schema misfits are tool errors (SEP-1303), results
    /// are cut to the limit.
    async fn call_in_request(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let known = self.router().has_route(&request.name);
        let call = ToolCallContext::new(self, request, context);
        match self.router().call(call).await {
            // SEP-1303: arguments that do not fit the schema are for the model to correct.
            Err(err) if known && err.code == ErrorCode::INVALID_PARAMS => {
                Ok(CallToolResult::error(vec![ContentBlock::text(err.message)]).into())
            }
            Ok(CallToolResponse::Complete(result)) => Ok(CallToolResponse::Complete(
                crate::result_limit::fit(result, self.result_limit),
            )),
            other => other,
        }
    }

    /// Cuts tool results beyond `chars` characters (with a marker saying how much was left out).
    pub fn with_result_limit(mut self, chars: usize) -> Self {
        self.result_limit = chars;
        self
    }

    /// Whether a tool of that name exists.
    pub fn has_tool(&self, name: &str) -> bool {
        self.router().has_route(name)
    }

    /// A peer for request contexts built outside rmcp's serve loop ([`crate::direct`]): it leads
    /// nowhere, so a handler that tried to message the client would get an error. rmcp makes
    /// peers only for a running service; this one's service stops at once (no input), leaving
    /// the peer. Made by the first request that needs it, then shared.
    pub(crate) fn detached_peer(&self) -> Peer<RoleServer> {
        self.peer
            .get_or_init(|| serve_directly(self.clone(), NoClient, None).peer().clone())
            .clone()
    }

    /// The tools, built once.
    fn router(&self) -> &ToolRouter<Self> {
        self.tool_router.get_or_init(|| {
            let mut router = Self::tool_router();
            // A tool that calls a provider is offered only when such a provider keeps tokens.
            for (tool, kind) in crate::elsewhere::TOOLS {
                let offered = self
                    .elsewhere
                    .as_ref()
                    .is_some_and(|e| e.upstreams.providers().any(|p| p.kind == kind));
                if !offered {
                    router.remove_route(tool);
                }
            }
            router
        })
    }

    /// Every tool's definition.
    pub fn tools(&self) -> Vec<rmcp::model::Tool> {
        self.router().list_all()
    }

    /// The definitions of the tools `caller`'s scopes allow, as `tools/list` returns them.
    pub fn tools_for(&self, caller: &Principal) -> Vec<rmcp::model::Tool> {
        let mut tools = self.tools();
        tools.retain(|tool| caller.has_all(remote_mcp_core::scopes::required(&tool.name)));
        tools
    }
}

/// The caller of a request, as a handler argument: the [`Principal`] the bearer layer verified,
/// carried in the HTTP parts rmcp copies into every request context. Its absence is a fault of
/// ours (the layer always runs first), so it is a JSON-RPC internal error, never a tool result.
pub struct Caller(pub Principal);

impl<C: AsRequestContext> FromContextPart<C> for Caller {
    fn from_context_part(context: &mut C) -> Result<Self, ErrorData> {
        caller(context.as_request_context()).map(Self)
    }
}

fn caller(context: &RequestContext<RoleServer>) -> Result<Principal, ErrorData> {
    context
        .extensions
        .get::<Parts>()
        .and_then(|parts| parts.extensions.get::<Principal>())
        .cloned()
        .ok_or_else(|| ErrorData::internal_error("no authenticated caller", None))
}

/// The transport of [`McpServer::detached_peer`]'s service: no message in, none accepted out.
struct NoClient;

impl Transport<RoleServer> for NoClient {
    type Error = std::io::Error;

    fn send(
        &mut self,
        _item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        std::future::ready(Err(std::io::Error::other(
            "this request cannot message the client",
        )))
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleServer>>> + Send {
        std::future::ready(None)
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        std::future::ready(Ok(()))
    }
}

impl McpServer {
    /// The task verbs, for a server that offers tasks (rmcp refuses `tasks/*` before this for a
    /// server that does not advertise them).
    fn task_verbs(&self) -> Result<&Tasks, ErrorData> {
        self.tasks
            .as_ref()
            .ok_or_else(ErrorData::method_not_found::<GetTaskMethod>)
    }
}

fn store_error(err: remote_mcp_core::StoreError) -> ErrorData {
    tracing::error!(%err, "store failure in MCP handler");
    ErrorData::internal_error("the server could not complete the request", None)
}
