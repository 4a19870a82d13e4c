use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn reads_a_deployment() {
    let c = Config::from_vars(&vars(&[
        (
            "PUBLIC_BASE_URL",
            "https://abc.execute-api.eu-west-1.amazonaws.com/",
        ),
        ("REFRESH_GRACE_SECONDS", "30"),
    ]))
    .unwrap();
    assert_eq!(
        c.issuer(),
        "https://abc.execute-api.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        c.mcp_resource(),
        "https://abc.execute-api.eu-west-1.amazonaws.com/mcp"
    );
    assert_eq!(c.lifetimes.refresh_grace, Duration::from_secs(30));
    assert_eq!(c.registrations_per_hour, DEFAULT_REGISTRATIONS_PER_HOUR);
    assert_eq!(
        c.allowed_origins,
        ["https://abc.execute-api.eu-west-1.amazonaws.com"]
    );
}

#[test]
fn missing_base_url_is_named() {
    let err = Config::from_vars(&vars(&[])).unwrap_err();
    assert_eq!(err.to_string(), "PUBLIC_BASE_URL is not set");
}

#[test]
fn rejects_unsafe_base_urls() {
    for bad in [
        "http://example.com",
        "ftp://example.com",
        "https://example.com/?x=1",
        "https://user@example.com",
        "not a url",
    ] {
        assert!(
            Config::from_vars(&vars(&[("PUBLIC_BASE_URL", bad)])).is_err(),
            "{bad} must be rejected"
        );
    }
    assert!(Config::local("http://127.0.0.1:8787").is_ok());
}

#[test]
fn rejects_non_numeric_lifetimes() {
    let err = Config::from_vars(&vars(&[
        ("PUBLIC_BASE_URL", "https://x.example"),
        ("ACCESS_TOKEN_TTL_SECONDS", "soon"),
    ]))
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("ACCESS_TOKEN_TTL_SECONDS is invalid")
    );
}

#[test]
fn registration_limit_is_a_positive_number() {
    let with = |value: &str| {
        Config::from_vars(&vars(&[
            ("PUBLIC_BASE_URL", "https://x.example"),
            ("REGISTRATIONS_PER_HOUR", value),
        ]))
    };
    assert_eq!(with("500").unwrap().registrations_per_hour, 500);
    for bad in ["0", "-1", "many"] {
        let err = with(bad).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("REGISTRATIONS_PER_HOUR is invalid"),
            "{err}"
        );
    }
}
