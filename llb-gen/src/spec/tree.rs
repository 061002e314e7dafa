//! The TOML document as a tree with spans (`toml`'s `DeTable`), for what serde's one-error
//! deserialization cannot do: report every unknown key (each is removed and the document
//! read again), find NUL characters, and place errors `toml` reports without a location.
//!
//! The tree is at most `toml`'s nesting limit deep, and is walked with an explicit stack all
//! the same.

use std::ops::Range;

use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

/// Removes the key whose span is `span` from whichever table holds it; false if none does.
pub fn remove_key(root: &mut DeTable<'_>, span: &Range<usize>) -> bool {
    let mut tables: Vec<&mut DeTable<'_>> = vec![root];
    let mut values: Vec<&mut Spanned<DeValue<'_>>> = Vec::new();
    loop {
        if let Some(table) = tables.pop() {
            // Keys compare by name: the one found by its span is removed by its name.
            if let Some(key) = table.keys().find(|key| key.span() == *span).cloned() {
                table.remove(&key);
                return true;
            }
            values.extend(table.iter_mut().map(|(_, value)| value));
        } else if let Some(value) = values.pop() {
            match value.get_mut() {
                DeValue::Table(table) => tables.push(table),
                DeValue::Array(array) => values.extend(array.iter_mut()),
                _ => {}
            }
        } else {
            return false;
        }
    }
}

/// Removes the value whose span is `span` (with its key, or from its array); false if none
/// has it.
pub fn remove_value(root: &mut DeTable<'_>, span: &Range<usize>) -> bool {
    let mut tables: Vec<&mut DeTable<'_>> = vec![root];
    let mut arrays: Vec<&mut toml::de::DeArray<'_>> = Vec::new();
    loop {
        if let Some(table) = tables.pop() {
            let key = table
                .iter()
                .find(|(_, v)| v.span() == *span)
                .map(|(k, _)| k.clone());
            if let Some(key) = key {
                table.remove(&key);
                return true;
            }
            for (_, value) in table.iter_mut() {
                match value.get_mut() {
                    DeValue::Table(table) => tables.push(table),
                    DeValue::Array(array) => arrays.push(array),
                    _ => {}
                }
            }
        } else if let Some(array) = arrays.pop() {
            if array.iter().any(|v| v.span() == *span) {
                let mut kept = toml::de::DeArray::new();
                for value in array.iter().filter(|v| v.span() != *span) {
                    kept.push(value.clone());
                }
                *array = kept;
                return true;
            }
            for value in array.iter_mut() {
                match value.get_mut() {
                    DeValue::Table(table) => tables.push(table),
                    DeValue::Array(array) => arrays.push(array),
                    _ => {}
                }
            }
        } else {
            return false;
        }
    }
}

/// The span of the value counted `n`th plus one (keys and values, tables and arrays each
/// count), in document order, when there are more than `n`.
pub fn nth_value(root: &DeTable<'_>, n: usize) -> Option<Range<usize>> {
    let mut count = 0;
    let mut values: Vec<&Spanned<DeValue<'_>>> = root.iter().map(|(_, v)| v).rev().collect();
    while let Some(value) = values.pop() {
        count += 1;
        if count > n {
            return Some(value.span());
        }
        match value.get_ref() {
            DeValue::Table(table) => values.extend(table.iter().map(|(_, v)| v).rev()),
            DeValue::Array(array) => values.extend(array.iter().rev()),
            _ => {}
        }
    }
    None
}

/// Spans of the keys and strings that hold a NUL character (written `\u0000`), in order.
pub fn nul_strings(root: &DeTable<'_>) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut tables: Vec<&DeTable<'_>> = vec![root];
    let mut values: Vec<&Spanned<DeValue<'_>>> = Vec::new();
    loop {
        if let Some(table) = tables.pop() {
            for (key, value) in table.iter() {
                if key.get_ref().contains('\0') {
                    found.push(key.span());
                }
                values.push(value);
            }
        } else if let Some(value) = values.pop() {
            match value.get_ref() {
                DeValue::String(text) if text.contains('\0') => found.push(value.span()),
                DeValue::Table(table) => tables.push(table),
                DeValue::Array(array) => values.extend(array.iter()),
                _ => {}
            }
        } else {
            break;
        }
    }
    found.sort_by_key(|span| span.start);
    found
}

/// Where `toml` most likely hit its nesting limit when it says so without a location: the
/// first key or table header with that many dotted parts. Only used to place that error.
pub fn deep_key(text: &str, parts: usize) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let key = match trimmed.strip_prefix('[') {
            Some(header) => header.split(']').next().unwrap_or(header),
            None => trimmed.split('=').next().unwrap_or(trimmed),
        }
        .trim_end();
        if key.matches('.').count() + 1 >= parts {
            let start = offset + (line.len() - trimmed.len());
            return Some(start..start + key.len().max(1));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_keys_anywhere_and_finds_nul() {
        let text = "a = 1\n[t]\nb = [{ c = \"x\\u0000\" }, { d = 2 }]\n\"k\\u0000\" = 3\n";
        let mut root = DeTable::parse(text).unwrap();
        let d = text.find("d =").unwrap();
        assert!(remove_key(root.get_mut(), &(d..d + 1)));
        assert!(!remove_key(root.get_mut(), &(d..d + 1)));
        let nul = nul_strings(root.get_ref());
        let string = text.find("\"x").unwrap();
        let key = text.find("\"k").unwrap();
        assert_eq!(nul, [string..string + 9, key..key + 9]);
        let c = text.find("{ c").unwrap();
        assert!(remove_value(root.get_mut(), &(c..c + 17)));
        assert_eq!(nul_strings(root.get_ref()), vec![(key..key + 9)]);
    }

    #[test]
    fn counts_values_in_document_order() {
        let text = "a = 1\n[t]\nb = [2, { c = 3 }]\nd = 4\n";
        let root = DeTable::parse(text).unwrap();
        // a, t, b, 2, {c}, 3, d: the fifth is `{ c = 3 }`.
        let table = text.find("{ c").unwrap();
        assert_eq!(nth_value(root.get_ref(), 4), Some(table..table + 9));
        assert_eq!(nth_value(root.get_ref(), 7), None);
    }

    #[test]
    fn finds_the_deep_key() {
        let text = "[stage.a]\nx.y = 1\n  a.b.c.d = 2\n";
        assert_eq!(deep_key(text, 4), Some(20..27));
        assert_eq!(deep_key(text, 9), None);
    }
}
