//! An API-compatible KMS for tests: moto's server, from the pinned `moto[server]` in `.venv/`.

use super::process::{LocalProcess, workspace_root};
use aws_sdk_kms::Client as KmsClient;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};

/// A running moto server.
#[derive(Debug)]
pub struct LocalKms {
    process: LocalProcess,
}

impl LocalKms {
    /// Starts `moto_server` from the project's virtualenv.
    pub fn start() -> Result<Self, String> {
        let moto = workspace_root().join(".venv/bin/moto_server");
        if !moto.is_file() {
            return Err(format!(
                "{} not found: run `make deps` (installs the pinned moto[server] into .venv)",
                moto.display()
            ));
        }
        let moto = moto.display().to_string();
        let process = LocalProcess::start("moto KMS", |port| {
            vec![
                moto.clone(),
                "-H".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
            ]
        })?;
        Ok(Self { process })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        self.process.endpoint()
    }

    /// An SDK client for this server.
    pub fn client(&self) -> KmsClient {
        let config = aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(self.process.endpoint())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "moto"))
            .build();
        KmsClient::from_conf(config)
    }
}
