//! What the server answers to each MCP method (rmcp's ServerHandler): its identity, tools listed
//! per token and called, tasks, the note resources and the one prompt.

use super::{McpServer, NOTE_SCHEME, SUMMARIZE, caller, note_uri, store_error};
use crate::long_running::{self};
use crate::tasks::Created;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CancelTaskParams, ClientCapabilities,
    GetPromptRequestParams, GetPromptResult, GetTaskParams, GetTaskResult, Implementation,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, Prompt, PromptArgument, PromptMessage, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResult, Resource, ResourceContents, ResourceTemplate,
    ResultType, Role, ServerCapabilities, ServerConfig, UpdateTaskParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool_handler};

// The macro's default router expression builds the router anew on every call: use the shared one.
#[tool_handler(router = self.router())]
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_prompts();
        let capabilities = match self.tasks {
            Some(_) => capabilities.enable_tasks().build(),
            None => capabilities.build(),
        };
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("remote-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Personal notes for the signed-in user: add, list, search and delete them. \
             Each note is also a resource (note://{id}). Adding and deleting need the mcp:write \
             scope; a connection granted read-only lists only the tools that read.",
            )
    }

    /// The tools this caller's token may call, and no others (consent by scope): a connection
    /// granted read-only does not see the tools that change data. The listing depends on the
    /// token, so it is cacheable by this client only.
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = caller(&context)?;
        let modern = context
            .protocol_version()
            .is_some_and(|version| version >= ProtocolVersion::V_2026_07_28);
        Ok(ListToolsResult {
            result_type: Some(ResultType::COMPLETE),
            tools: self.tools_for(&caller),
            meta: None,
            next_cursor: None,
            ttl_ms: modern.then_some(0),
            cache_scope: modern.then_some(CacheScope::Private),
        })
    }

    /// A tool that may run as a task becomes one for a client that declared the Tasks extension
    /// on this request; for any other client it runs here if it fits a request, and is refused
    /// with `-32021` if it does not ([`crate::tasks`]).
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if let Some(tasks) = &self.tasks
            && long_running::may_run_as_task(&request.name)
        {
            let declared = context
                .client_capabilities()
                .is_some_and(|capabilities| capabilities.supports_tasks());
            if declared {
                let caller = caller(&context)?;
                return Ok(
                    match tasks
                        .create(&caller, &request.name, request.arguments)
                        .await?
                    {
                        Created::Task(task) => CallToolResponse::Task(task),
                        Created::Refused(result) => CallToolResponse::Complete(result),
                    },
                );
            }
            if !long_running::fits_in_request(&request.name, request.arguments.as_ref()) {
                return Err(ErrorData::missing_required_client_capability(
                    ClientCapabilities::builder().enable_tasks().build(),
                ));
            }
        }
        self.call_in_request(request, context).await
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        self.task_verbs()?
            .get(&caller(&context)?, &request.task_id)
            .await
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.task_verbs()?
            .cancel(&caller(&context)?, &request.task_id)
            .await
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.task_verbs()?
            .update(&caller(&context)?, &request.task_id)
            .await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let caller = caller(&context)?;
        let notes = self
            .notes
            .notes(&caller.subject)
            .await
            .map_err(store_error)?;
        Ok(ListResourcesResult::with_all_items(
            notes
                .into_iter()
                .map(|n| {
                    Resource::new(note_uri(&n.id), n.title.clone())
                        .with_description("One of your notes")
                        .with_mime_type("text/markdown")
                })
                .collect(),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(format!("{NOTE_SCHEME}{{id}}"), "note")
                .with_title("A note by id")
                .with_description("One of your notes, as Markdown")
                .with_mime_type("text/markdown"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ReadResourceResponse, ErrorData> {
        let caller = caller(&context)?;
        let not_found =
            || ErrorData::resource_not_found(format!("no resource {}", request.uri), None);
        let id = request
            .uri
            .strip_prefix(NOTE_SCHEME)
            .ok_or_else(not_found)?;
        let note = self
            .notes
            .note(&caller.subject, id)
            .await
            .map_err(store_error)?
            .ok_or_else(not_found)?;
        let text = format!("# {}\n\n{}\n", note.title, note.body);
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, request.uri.clone()).with_mime_type("text/markdown"),
        ])
        .into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let mut topic = PromptArgument::new("topic");
        topic.description = Some("Only notes mentioning this word".into());
        topic.required = Some(false);
        let mut prompt = Prompt::new(SUMMARIZE, Some("Summarize my notes"), Some(vec![topic]));
        prompt.title = Some("Summarize notes".into());
        Ok(ListPromptsResult::with_all_items(vec![prompt]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::GetPromptResponse, ErrorData> {
        if request.name != SUMMARIZE {
            return Err(ErrorData::invalid_params(
                format!("no prompt {:?}", request.name),
                None,
            ));
        }
        let caller = caller(&context)?;
        let topic = request
            .arguments
            .as_ref()
            .and_then(|a| a.get("topic"))
            .and_then(|t| t.as_str())
            .map(str::to_lowercase);
        let notes = self
            .notes
            .notes(&caller.subject)
            .await
            .map_err(store_error)?;
        let selected: Vec<String> = notes
            .iter()
            .filter(|n| {
                topic.as_ref().is_none_or(|t| {
                    format!("{} {}", n.title, n.body)
                        .to_lowercase()
                        .contains(t.as_str())
                })
            })
            .map(|n| format!("## {}\n{}", n.title, n.body))
            .collect();
        let text = if selected.is_empty() {
            "I have no notes on this yet. Say so briefly.".to_owned()
        } else {
            format!(
                "Summarize these notes of mine in a few bullet points, grouping related ones:\n\n{}",
                selected.join("\n\n")
            )
        };
        Ok(
            GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                .with_description("Summary of your notes")
                .into(),
        )
    }
}
