//! The KMS signer against an API-compatible KMS (moto's server): a real `CreateKey`,
//! `GetPublicKey` and DER-signing `Sign`, so the adapter and its DER → JOSE conversion are
//! exercised end to end, and its tokens verify with the published JWK.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use remote_mcp_core::UnixTime;
use remote_mcp_core::token::kms::{KmsSigner, public_jwk};
use remote_mcp_core::token::{AccessClaims, PublicKey, Verifier, encode};
use remote_mcp_testkit::LocalKms;

const NOW: UnixTime = UnixTime(1_900_000_000);

#[tokio::test]
async fn kms_signed_tokens_verify_with_the_published_key() {
    let kms = LocalKms::start().unwrap_or_else(|e| panic!("{e}"));
    let client = kms.client();
    let key = client
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap();
    let key_id = key.key_metadata.unwrap().key_id;

    let signer = KmsSigner::new(client.clone(), &key_id);
    let published = signer.public_jwk().await.unwrap();
    // What the MCP function fetches equals what the OAuth function publishes.
    assert_eq!(public_jwk(&client, &key_id).await.unwrap(), published);

    let claims = AccessClaims {
        iss: "https://as.example".into(),
        sub: "user-1".into(),
        aud: "https://as.example/mcp".into(),
        client_id: "client-1".into(),
        scope: "mcp".into(),
        iat: NOW.0,
        exp: NOW.0 + 3600,
        jti: "jti-1".into(),
        gid: None,
        email: None,
        name: None,
    };
    let verifier =
        Verifier::new(&[published], "https://as.example", "https://as.example/mcp").unwrap();
    // ECDSA signatures vary; several rounds cover DER integers of different lengths.
    for _ in 0..8 {
        let token = encode(&claims, &signer).await.unwrap();
        assert_eq!(*verifier.verify(&token, NOW).unwrap().claims(), claims);
    }
}

#[tokio::test]
async fn unknown_kms_key_is_a_clean_error() {
    let kms = LocalKms::start().unwrap_or_else(|e| panic!("{e}"));
    let err = KmsSigner::new(kms.client(), "no-such-key")
        .public_jwk()
        .await
        .expect_err("must fail");
    assert!(err.to_string().starts_with("signing service"));
}
