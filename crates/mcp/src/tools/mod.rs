//! The tools, one `#[tool]` method each. Adding a tool is adding a method here: its doc comment
//! and attributes become the description, input schema (from the parameter type), output schema
//! (from `Json<T>`), and annotations that clients show users.
//!
//! Failures the model should read (bad input, unknown note) return `Err(String)`, which becomes a
//! result with `isError: true`; only protocol faults are JSON-RPC errors. The caller arrives as a
//! [`Caller`] argument, already verified: a tool cannot run without one.
//!
//! Every tool has a row in the one tool → scope table, [`remote_mcp_core::scopes::TOOLS`]: a
//! read-only tool (`read_only_hint = true`) needs `mcp`, any other also `mcp:write`. The tests hold
//! the annotations here to that table.

use crate::elsewhere::{ToolFailure, UrlElicitation, next_page};
use crate::long_running::Progress;
use crate::server::{Caller, McpServer};
use remote_mcp_core::model::Note;
use remote_mcp_core::providers::Kind;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use std::time::{Duration, SystemTime};

mod schema;
use schema::{
    Deleted, Identity, LongRunning, NewNote, NoteList, NoteRef, NoteView, OperationDone,
    ProviderChoice, ProviderProfile, Repositories, Repository, RepositoryPage, Search,
};

/// Scope every tool needs.
pub const READ: &str = remote_mcp_core::scopes::READ;
/// Scope of tools that destroy data.
pub const WRITE: &str = remote_mcp_core::scopes::WRITE;

/// Every scope a call of `tool` needs.
pub fn required_scopes(tool: &str) -> &'static [&'static str] {
    remote_mcp_core::scopes::required(tool)
}

/// A task's work may last up to the worker's limit.
const MAX_DURATION_SECONDS: f64 = remote_mcp_core::config::MAX_TASK_RUN_SECONDS as f64;
const MAX_STEPS: u32 = 1_000;

const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 10_000;
const MAX_NOTES: usize = 1_000;

fn failed(err: impl std::fmt::Display) -> String {
    tracing::error!(%err, "tool failed");
    "the server could not complete the operation; try again".to_owned()
}

#[tool_router(vis = "pub(crate)")]
impl McpServer {
    /// Shows who this connection acts for: the user (id, e-mail, name), the client and the granted
    /// scopes.
    #[tool(annotations(title = "Who am I", read_only_hint = true, open_world_hint = false))]
    async fn whoami(&self, Caller(p): Caller) -> Result<Json<Identity>, String> {
        Ok(Json(Identity {
            subject: p.subject.clone(),
            client_id: p.client_id.clone(),
            scopes: p.scopes.clone(),
            email: p.email.clone(),
            name: p.name.clone(),
        }))
    }

    /// Saves a new note for the signed-in user and returns it with its id.
    #[tool(annotations(
        title = "Add a note",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn add_note(
        &self,
        Caller(p): Caller,
        Parameters(input): Parameters<NewNote>,
    ) -> Result<Json<NoteView>, String> {
        // Defence in depth: the step-up layer already refused tokens without the scope.
        if !p.has_all(required_scopes("add_note")) {
            return Err("adding needs the mcp:write scope".into());
        }
        let title = input.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(format!("title must be 1 to {MAX_TITLE} characters"));
        }
        if input.body.chars().count() > MAX_BODY {
            return Err(format!("body must be at most {MAX_BODY} characters"));
        }
        if self.notes.notes(&p.subject).await.map_err(failed)?.len() >= MAX_NOTES {
            return Err(format!(
                "you already have {MAX_NOTES} notes; delete some first"
            ));
        }
        let note = Note::new(&p.subject, title, &input.body, SystemTime::now());
        self.notes.save_note(&note).await.map_err(failed)?;
        Ok(Json(note.into()))
    }

    /// Lists the signed-in user's notes, oldest first.
    #[tool(annotations(title = "List notes", read_only_hint = true, open_world_hint = false))]
    async fn list_notes(&self, Caller(p): Caller) -> Result<Json<NoteList>, String> {
        Ok(Json(
            self.notes.notes(&p.subject).await.map_err(failed)?.into(),
        ))
    }

    /// Finds the signed-in user's notes whose title or body contains every word of the query.
    #[tool(annotations(title = "Search notes", read_only_hint = true, open_world_hint = false))]
    async fn search_notes(
        &self,
        Caller(p): Caller,
        Parameters(input): Parameters<Search>,
    ) -> Result<Json<NoteList>, String> {
        let words: Vec<String> = input
            .query
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            return Err("query must contain at least one word".into());
        }
        let notes = self.notes.notes(&p.subject).await.map_err(failed)?;
        let hits = notes
            .into_iter()
            .filter(|n| {
                let text = format!("{}\n{}", n.title, n.body).to_lowercase();
                words.iter().all(|w| text.contains(w))
            })
            .collect::<Vec<_>>();
        Ok(Json(hits.into()))
    }

    /// Works for `duration_seconds` in `steps` equal steps, reporting "step k of n" as it goes,
    /// and returns a short text. Runs as a task for clients that support tasks (the client polls
    /// for the result and may cancel it); stops between steps once cancelled.
    #[tool(annotations(
        title = "Long-running operation",
        read_only_hint = true,
        open_world_hint = false
    ))]
    async fn long_running_operation(
        &self,
        progress: Progress,
        Parameters(input): Parameters<LongRunning>,
    ) -> Result<Json<OperationDone>, String> {
        let LongRunning {
            duration_seconds,
            steps,
        } = input;
        if !(0.0..=MAX_DURATION_SECONDS).contains(&duration_seconds) {
            return Err(format!(
                "duration_seconds must be between 0 and {MAX_DURATION_SECONDS}"
            ));
        }
        if !(1..=MAX_STEPS).contains(&steps) {
            return Err(format!("steps must be between 1 and {MAX_STEPS}"));
        }
        let step = Duration::from_secs_f64(duration_seconds / f64::from(steps));
        for k in 1..=steps {
            tokio::time::sleep(step).await;
            if progress
                .report(&format!("step {k} of {steps}"))
                .await
                .is_err()
            {
                return Err(format!("cancelled after step {} of {steps}", k - 1));
            }
        }
        Ok(Json(OperationDone {
            summary: format!(
                "Long running operation completed. Duration: {duration_seconds} seconds, Steps: {steps}."
            ),
            duration_seconds,
            steps,
        }))
    }

    /// Deletes one of the signed-in user's notes.
    #[tool(annotations(
        title = "Delete a note",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn delete_note(
        &self,
        Caller(p): Caller,
        Parameters(input): Parameters<NoteRef>,
    ) -> Result<Json<Deleted>, String> {
        // Defence in depth: the step-up layer already refused tokens without the scope.
        if !p.has_all(required_scopes("delete_note")) {
            return Err("deleting needs the mcp:write scope".into());
        }
        if !self
            .notes
            .delete_note(&p.subject, &input.id)
            .await
            .map_err(failed)?
        {
            return Err(format!("you have no note with id {:?}", input.id));
        }
        Ok(Json(Deleted {
            id: input.id,
            deleted: true,
        }))
    }

    /// The signed-in person's profile at their identity provider (its OpenID `userinfo`), read
    /// with the access they gave that provider. If they have not connected it, the answer says
    /// where to.
    #[tool(annotations(
        title = "Profile at the identity provider",
        read_only_hint = true,
        open_world_hint = true
    ))]
    async fn provider_profile(
        &self,
        Caller(p): Caller,
        UrlElicitation(url_elicitation): UrlElicitation,
        Parameters(input): Parameters<ProviderChoice>,
    ) -> Result<Json<ProviderProfile>, ToolFailure> {
        let elsewhere = self.elsewhere()?;
        let provider = elsewhere.provider(Kind::Oidc, input.provider.as_deref())?;
        let endpoint = elsewhere
            .upstreams
            .userinfo_endpoint(&provider.id)
            .await
            .map_err(failed)?;
        let answer = elsewhere
            .get(&p.subject, provider, &endpoint, url_elicitation)
            .await?;
        let serde_json::Value::Object(claims) = answer.json else {
            return Err(
                format!("{} answered something other than a profile", provider.name).into(),
            );
        };
        Ok(Json(ProviderProfile {
            provider: provider.id.clone(),
            claims,
        }))
    }

    /// The signed-in person's GitHub repositories (newest activity first), one page at a time,
    /// read with the access they gave GitHub. If they have not connected GitHub, the answer says
    /// where to.
    #[tool(annotations(
        title = "GitHub repositories",
        read_only_hint = true,
        open_world_hint = true
    ))]
    async fn github_repositories(
        &self,
        Caller(p): Caller,
        UrlElicitation(url_elicitation): UrlElicitation,
        Parameters(input): Parameters<RepositoryPage>,
    ) -> Result<Json<Repositories>, ToolFailure> {
        let RepositoryPage { page, per_page } = input;
        if page == 0 || !(1..=100).contains(&per_page) {
            return Err("page starts at 1; per_page is 1 to 100".to_owned().into());
        }
        let elsewhere = self.elsewhere()?;
        let provider = elsewhere.provider(Kind::GitHub, None)?;
        let url = format!(
            "{}/user/repos?sort=updated&page={page}&per_page={per_page}",
            provider.api()
        );
        let answer = elsewhere
            .get(&p.subject, provider, &url, url_elicitation)
            .await?;
        let repositories: Vec<Repository> = serde_json::from_value(answer.json).map_err(|_| {
            format!(
                "{} answered something other than repositories",
                provider.name
            )
        })?;
        Ok(Json(Repositories {
            repositories,
            page,
            next_page: next_page(answer.link.as_deref()),
        }))
    }
}
