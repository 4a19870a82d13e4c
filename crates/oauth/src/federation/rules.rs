//! What a provider's word about a person is worth: when an address counts as verified, and whom
//! `allowed_domains` admits. Most providers follow OpenID Connect's `email_verified`; two widely
//! deployed ones need their own rule.
//!
//! | provider | verified address | `allowed_domains` admits |
//! |---|---|---|
//! | Google (`https://accounts.google.com`) | `email_verified` | only accounts of that Google Workspace domain: the `hd` claim must name it. A consumer Google account whose verified address is on the domain (a former employee's, say) is not admitted; list it in `allowed_emails` to let it in |
//! | Microsoft Entra ID (`https://login.microsoftonline.com/…`) | `email_verified`, or Entra's `xms_edov` ("email domain owner verified") claim: v2 ID tokens usually carry no `email_verified`, so configure `xms_edov` as an optional claim of the app registration | any verified address there |
//! | any other OpenID provider, GitHub | `email_verified` (GitHub: its primary address, verified) | any verified address there |
//!
//! `allowed_emails` and `any_verified_email` mean the same everywhere.

use super::config::AllowList;
use super::oidc::Person;

/// Google's issuer.
pub const GOOGLE: &str = "https://accounts.google.com";
/// The prefix of Microsoft Entra ID's v2 issuers (`…/<tenant>/v2.0`).
pub const ENTRA: &str = "https://login.microsoftonline.com/";

/// Whether the provider `issuer` vouches that `person`'s address is theirs.
pub fn email_verified(issuer: &str, person: &Person) -> bool {
    if person.email_verified == Some(true) {
        return true;
    }
    issuer.starts_with(ENTRA) && person.email_verified.is_none() && person.xms_edov == Some(true)
}

/// Whether `allow` admits `email` (normalised, verified) as the provider `issuer` describes its
/// owner.
pub fn admits(allow: &AllowList, issuer: &str, email: &str, person: &Person) -> bool {
    if allow.any_verified_email || allow.lists_email(email) {
        return true;
    }
    let Some(domain) = allow.listed_domain_of(email) else {
        return false;
    };
    if issuer == GOOGLE {
        // Only the Workspace domain's own accounts carry `hd`.
        return person
            .hd
            .as_deref()
            .is_some_and(|hd| hd.eq_ignore_ascii_case(domain));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(claims: serde_json::Value) -> Person {
        serde_json::from_value(claims).unwrap()
    }

    fn corp() -> AllowList {
        AllowList {
            allowed_domains: vec!["corp.example".into()],
            allowed_emails: vec!["alumnus@corp.example".into()],
            any_verified_email: false,
        }
    }

    #[test]
    fn google_allowed_domains_require_the_hd_claim() {
        // Shaped as Google's ID tokens are: a Workspace account carries `hd`, a consumer one not.
        let workspace = person(serde_json::json!({
            "email": "kate@corp.example", "email_verified": true, "hd": "corp.example"}));
        let consumer = person(serde_json::json!({
            "email": "former@corp.example", "email_verified": true}));
        let other_workspace = person(serde_json::json!({
            "email": "kate@corp.example", "email_verified": true, "hd": "elsewhere.example"}));
        assert!(admits(&corp(), GOOGLE, "kate@corp.example", &workspace));
        assert!(!admits(&corp(), GOOGLE, "former@corp.example", &consumer));
        assert!(!admits(
            &corp(),
            GOOGLE,
            "kate@corp.example",
            &other_workspace
        ));
        // Listed by address, a consumer account is admitted; other providers need no `hd`.
        assert!(admits(&corp(), GOOGLE, "alumnus@corp.example", &consumer));
        assert!(admits(
            &corp(),
            "https://idp.corp.example",
            "former@corp.example",
            &consumer
        ));
    }

    #[test]
    fn entra_addresses_count_as_verified_with_xms_edov() {
        let issuer = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0";
        // Shaped as Entra's v2 ID tokens are: no email_verified; xms_edov when configured.
        let with_edov = person(serde_json::json!({
            "email": "kate@corp.example", "name": "Kate", "xms_edov": true}));
        let without = person(serde_json::json!({"email": "kate@corp.example", "name": "Kate"}));
        let edov_false =
            person(serde_json::json!({"email": "kate@corp.example", "xms_edov": false}));
        assert!(email_verified(issuer, &with_edov));
        assert!(!email_verified(issuer, &without));
        assert!(!email_verified(issuer, &edov_false));
        // Elsewhere xms_edov means nothing.
        assert!(!email_verified("https://idp.corp.example", &with_edov));
        let explicit = person(serde_json::json!({"email": "a@b.example", "email_verified": true}));
        assert!(email_verified("https://idp.corp.example", &explicit));
    }
}
