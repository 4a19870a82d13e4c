//! Tool results that fit what the client takes. Claude drops (or fails) a result beyond about
//! 150,000 characters; a result longer than [`remote_mcp_core::Config::max_tool_result_chars`]
//! is cut here instead, with a marker saying how much was left out, so the model learns that
//! there was more and can ask for less.
//!
//! Size is what the model reads: the characters of the text blocks. A result with structured
//! content (a tool returning `Json<T>`) keeps a structured value that still fits its output
//! schema: the largest array in it loses elements from its end until the whole fits, and the
//! text block is that value's JSON followed by the marker. Otherwise the text is cut.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;

/// Cuts `result` to at most `limit` characters of text, marker included; unchanged when it fits.
pub fn fit(mut result: CallToolResult, limit: usize) -> CallToolResult {
    let texts = || result.content.iter().filter_map(ContentBlock::as_text);
    // Bytes bound characters from above: most results are decided without counting.
    if texts().map(|t| t.text.len()).sum::<usize>() <= limit {
        return result;
    }
    let total: usize = texts().map(|t| t.text.chars().count()).sum();
    if total <= limit {
        return result;
    }
    // When no shortening makes the structured value fit, the text alone is cut.
    if let Some(value) = result.structured_content.take()
        && let Some((shrunk, json)) = shrink(value, total, limit)
    {
        let left_out = total.saturating_sub(json.chars().count());
        result.structured_content = Some(shrunk);
        result.content = vec![ContentBlock::text(json + &marker(left_out, total, limit))];
        return result;
    }
    cut_text(&mut result.content, total, limit);
    result
}

/// What a cut result ends with.
fn marker(left_out: usize, total: usize, limit: usize) -> String {
    format!(
        "\n\n[Result cut: {left_out} of {total} characters left out. This server sends at most \
         {limit} characters of a tool result; ask for less, for example with a narrower query.]"
    )
}

/// The longest marker for these numbers (left out can be at most `total`).
fn marker_budget(total: usize, limit: usize) -> usize {
    marker(total, total, limit).chars().count()
}

/// Keeps the text blocks' first characters and the marker, within `limit`.
fn cut_text(content: &mut Vec<ContentBlock>, total: usize, limit: usize) {
    let mut budget = limit.saturating_sub(marker_budget(total, limit));
    let mut kept_blocks = Vec::with_capacity(content.len());
    let mut kept = 0;
    for block in content.drain(..) {
        match block {
            ContentBlock::Text(mut text) if budget > 0 => {
                let chars = text.text.chars().count();
                if chars > budget {
                    let end = text
                        .text
                        .char_indices()
                        .nth(budget)
                        .map_or(text.text.len(), |(i, _)| i);
                    text.text.truncate(end);
                }
                let taken = chars.min(budget);
                budget -= taken;
                kept += taken;
                kept_blocks.push(ContentBlock::Text(text));
            }
            ContentBlock::Text(_) => {}
            // Images, resources: not text the model reads as characters; kept.
            other => kept_blocks.push(other),
        }
    }
    let note = marker(total - kept, total, limit);
    match kept_blocks.iter_mut().rev().find_map(|b| match b {
        ContentBlock::Text(text) => Some(text),
        _ => None,
    }) {
        Some(text) => text.text.push_str(&note),
        None => kept_blocks.push(ContentBlock::text(note.trim_start())),
    }
    *content = kept_blocks;
}

/// `value` with its largest array shortened from the end until its JSON and the marker fit in
/// `limit`; `None` when no shortening can make it fit.
fn shrink(mut value: Value, total: usize, limit: usize) -> Option<(Value, String)> {
    let budget = limit.checked_sub(marker_budget(total, limit))?;
    let path = largest_array(&value)?;
    let full = array_at(&mut value, &path)?.len();
    // The most elements that fit: binary search on the serialised size.
    let (mut fits, mut too_many) = (0, full + 1);
    let original = array_at(&mut value, &path)?.clone();
    while too_many - fits > 1 {
        let mid = (fits + too_many) / 2;
        let array = array_at(&mut value, &path)?;
        *array = original[..mid].to_vec();
        let size = serde_json::to_string(&value).ok()?.chars().count();
        if size <= budget {
            fits = mid;
        } else {
            too_many = mid;
        }
    }
    *array_at(&mut value, &path)? = original[..fits].to_vec();
    let json = serde_json::to_string(&value).ok()?;
    (json.chars().count() <= budget).then_some((value, json))
}

/// A step from a JSON value to one inside it.
#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path to the array whose JSON is longest (arrays inside arrays included).
fn largest_array(value: &Value) -> Option<Vec<Step>> {
    fn visit(value: &Value, path: &mut Vec<Step>, best: &mut Option<(usize, Vec<Step>)>) {
        match value {
            Value::Array(items) => {
                let size = serde_json::to_string(value).map_or(0, |s| s.len());
                if best.as_ref().is_none_or(|(largest, _)| size > *largest) {
                    *best = Some((size, path.clone()));
                }
                for (i, item) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    visit(item, path, best);
                    path.pop();
                }
            }
            Value::Object(members) => {
                for (key, member) in members {
                    path.push(Step::Key(key.clone()));
                    visit(member, path, best);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut best = None;
    visit(value, &mut Vec::new(), &mut best);
    best.map(|(_, path)| path)
}

fn array_at<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Vec<Value>> {
    let mut here = value;
    for step in path {
        here = match step {
            Step::Key(key) => here.get_mut(key.as_str())?,
            Step::Index(i) => here.get_mut(*i)?,
        };
    }
    here.as_array_mut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text_of(result: &CallToolResult) -> String {
        result
            .content
            .iter()
            .filter_map(ContentBlock::as_text)
            .map(|t| t.text.clone())
            .collect()
    }

    #[test]
    fn a_result_within_the_limit_is_untouched() {
        let result = CallToolResult::success(vec![ContentBlock::text("é".repeat(1_000))]);
        assert_eq!(fit(result.clone(), 1_000), result);
    }

    #[test]
    fn a_long_text_is_cut_at_the_limit_with_a_marker_saying_how_much_was_left_out() {
        let result = CallToolResult::success(vec![
            ContentBlock::text("a".repeat(3_000)),
            ContentBlock::text("ü".repeat(3_000)),
        ]);
        let cut = fit(result, 2_000);
        let text = text_of(&cut);
        assert!(text.chars().count() <= 2_000, "{}", text.chars().count());
        assert!(text.starts_with("aaaa"));
        let kept = text.chars().take_while(|c| *c == 'a').count();
        let left_out = 6_000 - kept;
        assert!(
            text.contains(&format!(
                "[Result cut: {left_out} of 6000 characters left out."
            )),
            "{text}"
        );
        assert_eq!(cut.is_error, Some(false), "a cut result is still a result");
    }

    #[test]
    fn structured_content_keeps_its_shape_with_fewer_elements() {
        let notes: Vec<Value> = (0..50)
            .map(|i| json!({"id": format!("n{i}"), "title": "t", "body": "x".repeat(500)}))
            .collect();
        let value = json!({"notes": notes});
        let json_text = serde_json::to_string(&value).unwrap();
        let total = json_text.chars().count();
        let mut result = CallToolResult::success(vec![ContentBlock::text(json_text)]);
        result.structured_content = Some(value);
        let cut = fit(result, 5_000);
        let structured = cut.structured_content.as_ref().unwrap();
        let kept = structured["notes"].as_array().unwrap().len();
        assert!((1..50).contains(&kept), "{kept}");
        assert_eq!(
            structured["notes"][0]["id"], "n0",
            "the first elements stay"
        );
        let text = text_of(&cut);
        assert!(text.chars().count() <= 5_000);
        let (json_part, note) = text.split_once("\n\n[Result cut: ").unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(json_part).unwrap(),
            *structured
        );
        let left_out = total - json_part.chars().count();
        assert!(
            note.starts_with(&format!("{left_out} of {total} characters")),
            "{note}"
        );
    }
}
