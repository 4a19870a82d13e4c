//! The tools' arguments and results: their types are the input and output schemas clients see.

use crate::long_running::{DEFAULT_DURATION_SECONDS, DEFAULT_STEPS};
use remote_mcp_core::model::Note;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, JsonSchema)]
pub struct Identity {
    /// Stable id of the signed-in user.
    pub subject: String,
    /// OAuth client acting for the user.
    pub client_id: String,
    /// Scopes granted to this connection.
    pub scopes: Vec<String>,
    /// The signed-in person's e-mail address (absent for a machine client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Their name, when their identity provider gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewNote {
    /// Short title (1–200 characters).
    pub title: String,
    /// The note's text (up to 10 000 characters).
    pub body: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoteRef {
    /// The note's id, as returned by add_note or list_notes.
    pub id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LongRunning {
    /// How long the operation works, in seconds (0 to 840; default 10).
    #[serde(default = "default_duration")]
    pub duration_seconds: f64,
    /// In how many equal steps (1 to 1000; default 5).
    #[serde(default = "default_steps")]
    pub steps: u32,
}

/// What a finished long-running operation reports.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OperationDone {
    /// What was done, in words.
    pub summary: String,
    pub duration_seconds: f64,
    pub steps: u32,
}

pub(super) fn default_duration() -> f64 {
    DEFAULT_DURATION_SECONDS
}

pub(super) fn default_steps() -> u32 {
    DEFAULT_STEPS
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Search {
    /// Words to look for in titles and bodies (case-insensitive; all must match).
    pub query: String,
}

/// A note as tools return it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NoteView {
    pub id: String,
    pub title: String,
    pub body: String,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: i64,
    /// The note as an MCP resource.
    pub uri: String,
}

impl From<Note> for NoteView {
    fn from(note: Note) -> Self {
        Self {
            uri: crate::server::note_uri(&note.id),
            id: note.id,
            title: note.title,
            body: note.body,
            created_at: note.created_at.seconds(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NoteList {
    pub notes: Vec<NoteView>,
    /// How many notes `notes` holds.
    #[schemars(schema_with = "non_negative_integer")]
    pub count: usize,
}

/// A count, in plain JSON Schema: schemars would add the non-standard `format: "uint"`, which
/// validating clients (the TypeScript SDK's Ajv) warn about on every tool listing.
pub(super) fn non_negative_integer(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "integer", "minimum": 0 })
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted {
    pub id: String,
    pub deleted: bool,
}

impl From<Vec<Note>> for NoteList {
    fn from(notes: Vec<Note>) -> Self {
        let notes: Vec<NoteView> = notes.into_iter().map(NoteView::from).collect();
        Self {
            count: notes.len(),
            notes,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProviderChoice {
    /// Which identity provider (its id); default: the first that keeps tokens for tools.
    #[serde(default)]
    pub provider: Option<String>,
}

/// The person's profile as their identity provider describes it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProviderProfile {
    /// The provider's id here.
    pub provider: String,
    /// What the provider's `userinfo` endpoint answered (its claims, as it sent them).
    pub claims: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RepositoryPage {
    /// Which page (from 1; default 1).
    #[serde(default = "first_page")]
    pub page: u32,
    /// Repositories per page (1 to 100; default 30).
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

pub(super) fn first_page() -> u32 {
    1
}

pub(super) fn default_per_page() -> u32 {
    30
}

/// One of the person's repositories.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Repository {
    pub full_name: String,
    pub private: bool,
    pub html_url: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A page of the person's repositories.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Repositories {
    pub repositories: Vec<Repository>,
    pub page: u32,
    /// The page to ask for next, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page: Option<u32>,
}
