//! JWTs signed by others: client assertions (RFC 7523 §2.2) and identity assertion grants
//! (ID-JAG). This file chooses the key and checks the signature, with asymmetric algorithms
//! only: never `none`, and never an HMAC, whose "key" a client or an attacker could simply know.
//! What the claims must say is the caller's business.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The signature algorithms we accept from others, as the metadata names them
/// (`token_endpoint_auth_signing_alg_values_supported`).
pub const ALGORITHMS: [(Algorithm, &str); 8] = [
    (Algorithm::RS256, "RS256"),
    (Algorithm::RS384, "RS384"),
    (Algorithm::RS512, "RS512"),
    (Algorithm::PS256, "PS256"),
    (Algorithm::PS384, "PS384"),
    (Algorithm::PS512, "PS512"),
    (Algorithm::ES256, "ES256"),
    (Algorithm::ES384, "ES384"),
];

/// The names of [`ALGORITHMS`].
pub fn algorithm_names() -> Vec<&'static str> {
    ALGORITHMS.iter().map(|(_, name)| *name).collect()
}

/// The protected header, when its algorithm is one of [`ALGORITHMS`].
pub fn header(token: &str) -> Result<Header, String> {
    match jsonwebtoken::decode_header(token) {
        Ok(header) if ALGORITHMS.iter().any(|(alg, _)| *alg == header.alg) => Ok(header),
        Ok(header) => Err(format!(
            "signed with {:?}; only asymmetric algorithms are accepted",
            header.alg
        )),
        // `none` and unknown algorithms are not even parsed by the library: say which it was.
        Err(_) => Err(match declared_algorithm(token) {
            Some(alg) => format!("signed with {alg:?}; only asymmetric algorithms are accepted"),
            None => "not a signed JWT".to_owned(),
        }),
    }
}

/// The `alg` a header declares, read without trusting anything else.
fn declared_algorithm(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Alg {
        alg: String,
    }
    let encoded = token.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    serde_json::from_slice::<Alg>(&bytes).ok().map(|a| a.alg)
}

/// Whether `header` names a key that is not in `keys` (a rotation we have not seen yet).
pub fn names_unknown_key(header: &Header, keys: &JwkSet) -> bool {
    header
        .kid
        .as_deref()
        .is_some_and(|kid| keys.find(kid).is_none())
}

/// The claims of `token`, once its signature verifies with the key of `keys` its header names (or
/// the only key, when it names none). Time claims are not checked here.
pub fn verify<T: DeserializeOwned>(
    token: &str,
    header: &Header,
    keys: &JwkSet,
) -> Result<T, String> {
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None => keys.keys.first().filter(|_| keys.keys.len() == 1),
    }
    .ok_or_else(|| match &header.kid {
        Some(kid) => format!("signed with key {kid:?}, which is not in the key set"),
        None => "the header names no key (kid) and the key set has several".to_owned(),
    })?;
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return Err("the key set holds a symmetric key; only public keys are accepted".into());
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| "the key set's key is unusable".to_owned())?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<T>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| format!("the signature does not verify ({e})"))
}

/// A JWT claim that may be one string or several (`aud`).
pub fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned(alg: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        let claims = URL_SAFE_NO_PAD.encode(r#"{"iss":"c","sub":"c"}"#);
        format!("{header}.{claims}.")
    }

    #[test]
    fn none_and_hmac_are_never_accepted() {
        assert_eq!(
            header(&unsigned("none")).unwrap_err(),
            "signed with \"none\"; only asymmetric algorithms are accepted"
        );
        for alg in ["HS256", "HS384", "HS512"] {
            assert!(
                header(&unsigned(alg))
                    .unwrap_err()
                    .contains("only asymmetric"),
                "{alg}"
            );
        }
        assert!(header(&unsigned("RS256")).is_ok());
        assert_eq!(header("garbage").unwrap_err(), "not a signed JWT");
    }
}
