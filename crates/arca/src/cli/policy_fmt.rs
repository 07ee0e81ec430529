//! `policy fmt`: prints a parsed HCL1 policy in canonical form (two-space indent, one
//! attribute per line, blank lines between top-level blocks). The result is parsed again
//! and must give the same document, so formatting never changes a policy's meaning. Files
//! with comments are refused rather than stripped of them.

use arca_core::hcl::{self, Item, Node};

pub fn format(text: &str) -> Result<String, String> {
    if text.trim_start().starts_with('{') {
        return Err("JSON policies are left as they are (fmt formats HCL)".into());
    }
    if has_comment(text) {
        return Err(
            "the file has comments, which this formatter would drop; the file is unchanged".into(),
        );
    }
    let items = hcl::parse(text).map_err(|e| e.to_string())?;
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 && (is_block(item) || is_block(&items[i - 1])) {
            out.push('\n');
        }
        write_item(&mut out, item, 0);
    }
    let again = hcl::parse(&out)
        .map_err(|e| format!("formatting produced unparsable text ({e}); the file is unchanged"))?;
    if strip_lines(&again) != strip_lines(&items) {
        return Err("formatting would change the policy; the file is unchanged".into());
    }
    Ok(out)
}

fn is_block(item: &Item) -> bool {
    !item.labels.is_empty() || matches!(item.value, Node::Object(_))
}

fn write_item(out: &mut String, item: &Item, depth: usize) {
    let pad = "  ".repeat(depth);
    out.push_str(&pad);
    out.push_str(&key(&item.key));
    for l in &item.labels {
        out.push(' ');
        out.push_str(&quote(l));
    }
    match &item.value {
        Node::Object(children) if !item.labels.is_empty() || depth == 0 => {
            out.push_str(" {\n");
            for c in children {
                write_item(out, c, depth + 1);
            }
            out.push_str(&pad);
            out.push_str("}\n");
        }
        v => {
            out.push_str(" = ");
            write_value(out, v, depth);
            out.push('\n');
        }
    }
}

fn write_value(out: &mut String, v: &Node, depth: usize) {
    match v {
        Node::String(s) => out.push_str(&quote(s)),
        Node::Number(n) => out.push_str(&n.to_string()),
        Node::Bool(b) => out.push_str(&b.to_string()),
        Node::List(list) => {
            out.push('[');
            for (i, e) in list.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, e, depth);
            }
            out.push(']');
        }
        Node::Object(items) => {
            if items.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{\n");
            for c in items {
                out.push_str(&"  ".repeat(depth + 1));
                out.push_str(&quote(&c.key));
                out.push_str(" = ");
                write_value(out, &c.value, depth + 1);
                out.push('\n');
            }
            out.push_str(&"  ".repeat(depth));
            out.push('}');
        }
    }
}

fn key(k: &str) -> String {
    let ident = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !k.starts_with(|c: char| c.is_ascii_digit());
    if ident {
        k.to_string()
    } else {
        quote(k)
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn strip_lines(items: &[Item]) -> Vec<Item> {
    items
        .iter()
        .map(|i| Item {
            key: i.key.clone(),
            labels: i.labels.clone(),
            value: strip_node(&i.value),
            line: 0,
        })
        .collect()
}

fn strip_node(n: &Node) -> Node {
    match n {
        Node::Object(items) => Node::Object(strip_lines(items)),
        Node::List(l) => Node::List(l.iter().map(strip_node).collect()),
        other => other.clone(),
    }
}

/// `#`, `//` or `/*` outside a string.
fn has_comment(text: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    let mut prev = '\0';
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else {
            match c {
                '"' => in_string = true,
                '#' => return true,
                '/' | '*' if prev == '/' => return true,
                _ => {}
            }
        }
        prev = c;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form() {
        let messy = "path \"secret/*\" { capabilities = [\"read\",\"list\"] }\npath \"sys/x\" {\ncapabilities=[\"deny\"]\n  allowed_parameters = { \"ttl\" = [] }\n}\n";
        let want = "path \"secret/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n\npath \"sys/x\" {\n  capabilities = [\"deny\"]\n  allowed_parameters = {\n    \"ttl\" = []\n  }\n}\n";
        assert_eq!(format(messy).unwrap(), want);
        assert_eq!(format(want).unwrap(), want);
    }

    #[test]
    fn refuses_to_drop_comments() {
        assert!(format("# note\npath \"a\" { capabilities = [\"read\"] }\n").is_err());
        assert!(format("path \"a#b\" { capabilities = [\"read\"] }\n").is_ok());
    }
}
