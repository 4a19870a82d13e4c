//! An API-compatible KMS for tests: moto's server, from the pinned `moto[server]` in `.venv/`.

use crate::process::{LocalProcess, workspace_root};
use aws_sdk_kms::Client as KmsClient;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use std::net::{IpAddr, Ipv4Addr};

/// A running moto server.
#[derive(Debug)]
pub struct LocalKms {
    process: LocalProcess,
}

impl LocalKms {
    /// Starts `moto_server` from the project's virtualenv, on loopback.
    pub fn start() -> Result<Self, String> {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    /// Starts `moto_server` listening on `address` (e.g. a container bridge).
    pub fn start_on(address: IpAddr) -> Result<Self, String> {
        let moto = workspace_root().join(".venv/bin/moto_server");
        if !moto.is_file() {
            return Err(format!(
                "{} not found: run `make deps` (installs the pinned moto[server] into .venv)",
                moto.display()
            ));
        }
        let moto = moto.display().to_string();
        let process = LocalProcess::start_on(address, "moto KMS", |port| {
            vec![
                moto.clone(),
                "-H".into(),
                address.to_string(),
                "-p".into(),
                port.to_string(),
            ]
        })?;
        Ok(Self { process })
    }

    /// `http://<address>:<port>`.
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
