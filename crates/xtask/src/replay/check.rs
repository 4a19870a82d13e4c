//! What a step's answer must be: its status, JSON members, redirect parameters, and the values it
//! captures for later steps.

use super::{Expect, fill, fill_str};
use remote_mcp_testkit::http::Reply;
use serde_json::Value;
use std::collections::HashMap;

/// A member of the answer: a top-level name, or a JSON pointer (`/result/status`).
pub(super) fn at<'a>(json: &'a Value, member: &str) -> &'a Value {
    if member.starts_with('/') {
        json.pointer(member).unwrap_or(&Value::Null)
    } else {
        &json[member]
    }
}

pub(super) fn truncate(s: &str) -> &str {
    &s[..s.char_indices().nth(400).map_or(s.len(), |(i, _)| i)]
}

pub(super) fn check(
    expect: &Expect,
    reply: &Reply,
    vars: &mut HashMap<String, String>,
) -> Result<(), String> {
    if reply.status.as_u16() != expect.status {
        return Err(format!(
            "status {} (expected {})",
            reply.status.as_u16(),
            expect.status
        ));
    }
    let json: Value = serde_json::from_str(&reply.text).unwrap_or(Value::Null);
    check_json(expect, &json, vars)?;
    for (name, wanted) in &expect.headers {
        let wanted = fill_str(wanted, vars).map_err(|e| e.to_string())?;
        if !reply.headers_named(name).any(|v| v.contains(&wanted)) {
            return Err(format!("header {name} lacks {wanted:?}"));
        }
    }
    let location = reply
        .header("location")
        .and_then(|l| url::Url::parse(l).ok());
    check_location(expect, location.as_ref(), vars)?;
    for text in &expect.body_contains {
        let text = fill_str(text, vars).map_err(|e| e.to_string())?;
        if !reply.text.contains(&text) {
            return Err(format!("body lacks {text:?}"));
        }
    }
    capture(expect, reply, &json, location.as_ref(), vars)
}

/// The members the answer must have, have at all, or have changed.
pub(super) fn check_json(
    expect: &Expect,
    json: &Value,
    vars: &HashMap<String, String>,
) -> Result<(), String> {
    for (member, wanted) in &expect.json {
        let wanted = fill(wanted, vars).map_err(|e| e.to_string())?;
        if *at(json, member) != wanted {
            return Err(format!(
                "{member} is {} (expected {wanted})",
                at(json, member)
            ));
        }
    }
    for member in &expect.json_present {
        if at(json, member).is_null() {
            return Err(format!("{member} is missing"));
        }
    }
    for (member, previous) in &expect.json_differs {
        let previous = fill(previous, vars).map_err(|e| e.to_string())?;
        if at(json, member).is_null() || *at(json, member) == previous {
            return Err(format!("{member} did not change"));
        }
    }
    Ok(())
}

/// Where a redirect must go, and the parameters it must carry (`*`: any value).
pub(super) fn check_location(
    expect: &Expect,
    location: Option<&url::Url>,
    vars: &HashMap<String, String>,
) -> Result<(), String> {
    if let Some(prefix) = &expect.location_prefix {
        let prefix = fill_str(prefix, vars).map_err(|e| e.to_string())?;
        if !location.is_some_and(|l| l.as_str().starts_with(&prefix)) {
            return Err(format!("redirect does not go to {prefix}"));
        }
    }
    for (name, wanted) in &expect.location {
        let wanted = fill_str(wanted, vars).map_err(|e| e.to_string())?;
        match param(location, name) {
            Some(v) if wanted == "*" || v == wanted => {}
            other => {
                return Err(format!(
                    "redirect parameter {name} is {other:?} (expected {wanted})"
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn param(location: Option<&url::Url>, name: &str) -> Option<String> {
    location.and_then(|l| {
        l.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

/// Remembers what later steps use: a member of the answer, a redirect parameter, a form field,
/// a cookie.
pub(super) fn capture(
    expect: &Expect,
    reply: &Reply,
    json: &Value,
    location: Option<&url::Url>,
    vars: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (var, source) in &expect.capture {
        let value = match source.split_once(':') {
            Some(("json", member)) => at(json, member).as_str().map(str::to_owned),
            Some(("location", name)) => param(location, name),
            Some(("form", field)) => {
                let marker = format!("name=\"{field}\" value=\"");
                reply.text.find(&marker).map(|i| {
                    reply.text[i + marker.len()..]
                        .split('"')
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
            }
            Some(("cookie", suffix)) => reply
                .headers_named("set-cookie")
                .filter_map(|c| c.split(';').next())
                .find(|c| c.split('=').next().is_some_and(|n| n.ends_with(suffix)))
                .map(str::to_owned),
            _ => return Err(format!("unknown capture {source:?}")),
        };
        let value = value.ok_or_else(|| format!("nothing to capture for {var} ({source})"))?;
        vars.insert(var.clone(), value);
    }
    Ok(())
}
