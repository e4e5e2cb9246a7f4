//! The module layers of src/ point only down and have no cycles.
//!
//! Pure source reading (no model, nothing run): every `use crate::…`/`use super::…`
//! tree and every inline `crate::…`/`super::…` path outside `#[cfg(test)]` items
//! is resolved to the file that defines it, and each file is mapped to its
//! top-level module. The test fails, naming file, line and import, when
//! - a module imports from a higher layer than its own (`LAYERS` below),
//! - imports between top-level modules close a cycle (possible within a layer),
//! - imports between the files of one module directory close a cycle,
//! - code below the command layers (1-2) prints to stdout or stderr.
//!
//! Run with `--nocapture` to print the module dependency list.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// Layer of every top-level module of src/, 1 the top. A module may import from
/// lower layers and from its own layer (acyclically), never from a higher one.
const LAYERS: &[(&str, u8)] = &[
    // 1. The binary and the crate root: the command entry points.
    ("main", 1),
    ("lib", 1),
    // 2. The commands' workhorses. `cli` (clap definitions) lives here so that
    //    only layers 1-2 can see the clap argument structs.
    ("cli", 2),
    ("runner", 2),
    ("synth", 2),
    ("report", 2),
    ("compare", 2),
    ("import", 2),
    ("telemetry", 2),
    ("models", 2),
    ("progress", 2),
    // 3. Measuring and scoring.
    ("scoring", 3),
    ("engine", 3),
    ("sampler", 3),
    // 4. Configuration, suites, checks and the pure helpers.
    ("export", 4),
    ("config", 4),
    ("suite", 4),
    ("checks", 4),
    ("fit", 4),
    ("profiles", 4),
    ("gguf", 4),
    // 5. Row types, manifest, plan and the run directory store; errors; and
    //    `stats`, pure functions with no imports, which summary.* rows need.
    ("results", 5),
    ("error", 5),
    ("stats", 5),
];

/// A file of src/, with comments, string contents and `#[cfg(test)]` items blanked.
struct Source {
    /// "src/runner/child.rs"
    rel: String,
    /// The module path: ["runner", "child"]; [] for lib.rs, ["main"] for main.rs.
    module: Vec<String>,
    /// Whether the file is a directory's `mod.rs` (or lib.rs): `super` starts one level higher.
    is_dir_module: bool,
    code: Vec<char>,
    /// The file as written: for `#[path]` and the messages.
    raw: Vec<char>,
    lines: Vec<String>,
}

/// One import: where it is and what it names (absolute module path).
#[derive(Clone)]
struct Import {
    file: usize,
    line: usize,
    target: Vec<String>,
    /// A `use` of a named item (not a glob, not an inline path): it brings the
    /// name into the file's scope, and paths through the file follow it.
    named_use: bool,
}

/// An import resolved to the file defining the item.
#[derive(Clone)]
struct Edge {
    from: usize,
    to: usize,
    line: usize,
    path: String,
    /// Where a re-exported item is really defined: `to` is then that file, and
    /// another edge goes to the module the path names.
    defined_in: Option<String>,
}

#[test]
fn module_layers_point_down_without_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = read_sources(&root);
    let imports: Vec<Import> = sources
        .iter()
        .enumerate()
        .flat_map(|(i, s)| imports_of(i, s, &sources))
        .collect();
    let edges = resolve(&sources, &imports);
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();

    let mut failures = Vec::new();
    let top = |f: usize| top_module(&sources[f]);
    let site = |e: &Edge| {
        let defined = e.defined_in.as_ref().map(|d| format!(" (defined in {d})"));
        format!(
            "{}:{}: `{}`{}\n        {}",
            sources[e.from].rel,
            e.line,
            e.path,
            defined.unwrap_or_default(),
            sources[e.from].lines[e.line - 1].trim()
        )
    };

    // Every module is in the table.
    let modules: BTreeSet<String> = (0..sources.len()).map(top).collect();
    for m in &modules {
        if !layers.contains_key(m.as_str()) {
            failures.push(format!(
                "module `{m}` has no layer: add it to LAYERS in tests/layers.rs"
            ));
        }
    }

    // Upward imports (once per import and module: a re-exported item is both).
    let mut reported = BTreeSet::new();
    for e in &edges {
        let (from, to) = (top(e.from), top(e.to));
        if from == to || !reported.insert((e.from, e.line, to.clone())) {
            continue;
        }
        if let (Some(&lf), Some(&lt)) = (layers.get(from.as_str()), layers.get(to.as_str())) {
            if lt < lf {
                failures.push(format!(
                    "upward import: {from} (layer {lf}) imports {to} (layer {lt}) at {}",
                    site(e)
                ));
            }
        }
    }

    // Only the command layers talk to the user; lower layers return values and errors.
    for (i, s) in sources.iter().enumerate() {
        let m = top(i);
        let Some(&layer) = layers.get(m.as_str()) else {
            continue;
        };
        if layer <= 2 {
            continue;
        }
        for (line, mac) in print_macros(&s.code) {
            failures.push(format!(
                "prints below the command layers: {m} (layer {layer}) calls `{mac}!` at {}:{line}\n        {}",
                s.rel,
                s.lines[line - 1].trim()
            ));
        }
    }

    // Cycles between top-level modules.
    let module_edges: Vec<(String, String, &Edge)> = edges
        .iter()
        .filter(|e| top(e.from) != top(e.to))
        .map(|e| (top(e.from), top(e.to), e))
        .collect();
    for (cycle, others) in cycles(&module_edges) {
        let mut msg = format!("module cycle: {}", cycle_names(&cycle));
        for e in &cycle {
            let _ = write!(msg, "\n    {} -> {} at {}", e.0, e.1, site(e.2));
        }
        if !others.is_empty() {
            let _ = write!(
                msg,
                "\n  (all modules that import each other in a circle here: {})",
                members(&cycle, &others)
            );
        }
        failures.push(msg);
    }

    // Cycles between the files of one module directory. A directory's mod.rs is
    // its facade: it declares, re-exports and drives its own submodules, which
    // may use what it defines, so its edges down into its own subtree are not
    // counted; everything else (siblings, submodules up to mod.rs) is.
    let facade_down = |e: &Edge| {
        let (from, to) = (&sources[e.from], &sources[e.to]);
        from.is_dir_module
            && to.module.len() > from.module.len()
            && to.module.starts_with(&from.module)
    };
    let file_edges: Vec<(String, String, &Edge)> = edges
        .iter()
        .filter(|e| e.from != e.to && top(e.from) == top(e.to) && !facade_down(e))
        .map(|e| (sources[e.from].rel.clone(), sources[e.to].rel.clone(), e))
        .collect();
    for (cycle, others) in cycles(&file_edges) {
        let mut msg = format!("file cycle: {}", cycle_names(&cycle));
        for e in &cycle {
            let _ = write!(msg, "\n    at {}", site(e.2));
        }
        if !others.is_empty() {
            let _ = write!(
                msg,
                "\n  (all files that import each other in a circle here: {})",
                members(&cycle, &others)
            );
        }
        failures.push(msg);
    }

    // The dependency list, for `--nocapture`.
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to, _) in &module_edges {
        deps.entry(from.clone()).or_default().insert(to.clone());
    }
    println!("module dependencies (layer: module -> imports):");
    let mut by_layer: Vec<(&str, u8)> = LAYERS.to_vec();
    by_layer.sort_by_key(|&(m, l)| (l, m));
    for (m, l) in by_layer {
        let to = deps.get(m).map(|s| s.iter().cloned().collect::<Vec<_>>());
        println!(
            "  {l}: {m} -> {}",
            to.map(|t| t.join(", ")).unwrap_or_default()
        );
    }

    assert!(
        failures.is_empty(),
        "\n{} layering violation(s) (layer table: LAYERS in tests/layers.rs):\n\n{}\n",
        failures.len(),
        failures.join("\n\n")
    );
}

fn top_module(s: &Source) -> String {
    s.module.first().cloned().unwrap_or_else(|| "lib".into())
}

fn members<T>(cycle: &[(String, String, T)], others: &[(String, String, T)]) -> String {
    let all: BTreeSet<&str> = cycle
        .iter()
        .chain(others)
        .flat_map(|e| [e.0.as_str(), e.1.as_str()])
        .collect();
    all.into_iter().collect::<Vec<_>>().join(", ")
}

fn cycle_names<T>(cycle: &[(String, String, T)]) -> String {
    let mut names: Vec<&str> = cycle.iter().map(|e| e.0.as_str()).collect();
    names.push(&cycle[0].0);
    names.join(" -> ")
}

type Cycle<'a> = Vec<(String, String, &'a Edge)>;

/// For each group of nodes that import each other in a circle (strongly connected
/// component): one shortest cycle, then the group's other imports (each also on
/// some cycle), every edge with one import site as witness.
fn cycles<'a>(edges: &[(String, String, &'a Edge)]) -> Vec<(Cycle<'a>, Cycle<'a>)> {
    let mut adj: BTreeMap<&str, BTreeMap<&str, &'a Edge>> = BTreeMap::new();
    for (a, b, e) in edges {
        adj.entry(a).or_default().entry(b).or_insert(e);
    }
    let reach = |from: &str| -> BTreeMap<String, Vec<String>> {
        // Breadth-first: node -> shortest path from `from` (excluding `from`).
        let mut paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut queue = vec![(from.to_string(), Vec::<String>::new())];
        while !queue.is_empty() {
            let mut next = Vec::new();
            for (node, path) in queue {
                for &to in adj.get(node.as_str()).into_iter().flat_map(|m| m.keys()) {
                    if !paths.contains_key(to) {
                        let mut p = path.clone();
                        p.push(to.to_string());
                        paths.insert(to.to_string(), p.clone());
                        next.push((to.to_string(), p));
                    }
                }
            }
            queue = next;
        }
        paths
    };
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for &start in adj.keys() {
        if seen.contains(start) {
            continue;
        }
        let paths = reach(start);
        let Some(back) = paths.get(start) else {
            continue;
        };
        // Everything on a cycle through `start` is in its component: report it once.
        for (node, _) in paths.iter() {
            if reach(node).contains_key(start) {
                seen.insert(node.clone());
            }
        }
        let mut nodes = vec![start.to_string()];
        nodes.extend(back.iter().cloned());
        let cycle: Cycle = nodes
            .windows(2)
            .map(|w| {
                (
                    w[0].clone(),
                    w[1].clone(),
                    adj[w[0].as_str()][w[1].as_str()],
                )
            })
            .collect();
        let group: BTreeSet<&str> = paths
            .keys()
            .map(String::as_str)
            .filter(|n| reach(n).contains_key(start))
            .collect();
        let others = adj
            .iter()
            .filter(|(from, _)| group.contains(*from))
            .flat_map(|(from, tos)| tos.iter().map(move |(to, e)| (*from, *to, *e)))
            .filter(|(from, to, _)| {
                group.contains(to) && !cycle.iter().any(|c| c.0 == *from && c.1 == *to)
            })
            .map(|(from, to, e)| (from.to_string(), to.to_string(), e))
            .collect();
        out.push((cycle, others));
    }
    out
}

// ---- Reading the sources ----

fn read_sources(root: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    let mut sources: Vec<Source> = files
        .iter()
        .map(|path| {
            let rel_in_src = path.strip_prefix(root).unwrap();
            let mut module: Vec<String> = rel_in_src
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let last = module.last().cloned().unwrap_or_default();
            let is_dir_module = last == "mod" || (module.len() == 1 && last == "lib");
            if is_dir_module {
                module.pop();
            }
            let text = fs::read_to_string(path).unwrap();
            Source {
                rel: format!("src/{}", rel_in_src.to_string_lossy()),
                module,
                is_dir_module,
                code: blank_comments_and_strings(&text),
                raw: text.chars().collect(),
                lines: text.lines().map(str::to_string).collect(),
            }
        })
        .collect();
    // Blank `#[cfg(test)]` items; drop the files that only a `#[cfg(test)] mod x;` declares.
    let mut test_only: BTreeSet<PathBuf> = BTreeSet::new();
    for s in &mut sources {
        for declared in blank_test_items(&mut s.code, &s.raw) {
            let dir = root.join(&s.rel["src/".len()..]);
            let dir = dir.parent().unwrap();
            let path = match declared {
                TestMod::Path(p) => dir.join(p),
                TestMod::Name(name) if s.is_dir_module || s.rel == "src/main.rs" => {
                    dir.join(format!("{name}.rs"))
                }
                TestMod::Name(name) => dir
                    .join(Path::new(&s.rel).file_stem().unwrap())
                    .join(format!("{name}.rs")),
            };
            test_only.insert(path);
        }
    }
    sources.retain(|s| !test_only.contains(&root.join(&s.rel["src/".len()..])));
    sources
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Comments and the contents of string and char literals become spaces
/// (newlines kept, so offsets and line numbers stay).
fn blank_comments_and_strings(text: &str) -> Vec<char> {
    let src: Vec<char> = text.chars().collect();
    let mut out = src.clone();
    let blank = |out: &mut Vec<char>, from: usize, to: usize| {
        for c in &mut out[from..to.min(src.len())] {
            if *c != '\n' {
                *c = ' ';
            }
        }
    };
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        let next = src.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = src[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(src.len(), |p| i + p);
            blank(&mut out, i, end);
            i = end;
        } else if c == '/' && next == Some('*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < src.len() && depth > 0 {
                if src[j] == '/' && src.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if src[j] == '*' && src.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime (left alone).
            if next == Some('\\') {
                let end = (i + 3..src.len())
                    .find(|&j| src[j] == '\'')
                    .unwrap_or(src.len());
                blank(&mut out, i + 1, end);
                i = end + 1;
            } else if src.get(i + 2) == Some(&'\'') {
                blank(&mut out, i + 1, i + 2);
                i += 3;
            } else {
                i += 1;
            }
        } else if c == 'r'
            && (i == 0
                || !is_ident(src[i - 1])
                || (src[i - 1] == 'b' && (i < 2 || !is_ident(src[i - 2]))))
            && matches!(next, Some('"') | Some('#'))
        {
            // A raw string r"…" / r#"…"#.
            let hashes = src[i + 1..].iter().take_while(|&&c| c == '#').count();
            if src.get(i + 1 + hashes) != Some(&'"') {
                i += 1;
                continue;
            }
            let start = i + 2 + hashes;
            let mut j = start;
            while j < src.len() {
                if src[j] == '"'
                    && src[j + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&c| c == '#')
                        .count()
                        == hashes
                {
                    break;
                }
                j += 1;
            }
            blank(&mut out, start, j);
            i = j + 1 + hashes;
        } else if c == '"' {
            let mut j = i + 1;
            while j < src.len() && src[j] != '"' {
                j += if src[j] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, i + 1, j);
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

enum TestMod {
    Name(String),
    Path(String),
}

/// Blanks every item under `#[cfg(test)]`; returns the out-of-line modules it declared.
fn blank_test_items(code: &mut [char], raw: &[char]) -> Vec<TestMod> {
    let attr: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut declared = Vec::new();
    let mut i = 0;
    while i + attr.len() <= code.len() {
        if code[i..i + attr.len()] != attr[..] {
            i += 1;
            continue;
        }
        // The attribute, any further attributes, then the item up to its `;` or closing `}`.
        let start = i;
        let mut j = i + attr.len();
        let mut depth = 0i32;
        let mut opened_brace = false;
        while j < code.len() {
            match code[j] {
                '(' | '[' | '{' => {
                    opened_brace |= code[j] == '{' && depth == 0;
                    depth += 1;
                }
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth < 0 {
                        // The end of the enclosing item: this was a field or an argument.
                        j -= 1;
                        break;
                    }
                    if depth == 0 && code[j] == '}' && opened_brace {
                        break;
                    }
                }
                ';' if depth == 0 => break,
                ',' if depth == 0 && !opened_brace => break,
                _ => {}
            }
            j += 1;
        }
        let item: String = raw[start..j.min(raw.len())].iter().collect();
        if !opened_brace {
            if let Some(name) = out_of_line_mod(&item) {
                declared.push(name);
            }
        }
        let end = (j + 1).min(code.len());
        for c in &mut code[start..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        i = j + 1;
    }
    declared
}

/// `mod tests;` or `#[path = "x.rs"] mod tests;` (from the raw text of the item).
fn out_of_line_mod(item: &str) -> Option<TestMod> {
    if let Some((_, after)) = item.split_once("#[path") {
        let path = after.split('"').nth(1)?;
        return Some(TestMod::Path(path.to_string()));
    }
    let words: Vec<&str> = item
        .split(|c: char| !is_ident(c))
        .filter(|w| !w.is_empty())
        .collect();
    let pos = words.iter().position(|&w| w == "mod")?;
    Some(TestMod::Name(words.get(pos + 1)?.to_string()))
}

/// (line, macro) of every print!/println!/eprint!/eprintln!/dbg! call.
fn print_macros(code: &[char]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < code.len() {
        if code[i] == '\n' {
            line += 1;
        }
        if is_ident(code[i]) && (i == 0 || !is_ident(code[i - 1])) {
            let start = i;
            while i < code.len() && is_ident(code[i]) {
                i += 1;
            }
            let word: String = code[start..i].iter().collect();
            let is_macro = code.get(i) == Some(&'!');
            if is_macro
                && matches!(
                    word.as_str(),
                    "print" | "println" | "eprint" | "eprintln" | "dbg"
                )
            {
                out.push((line, word));
            }
            continue;
        }
        i += 1;
    }
    out
}

// ---- Imports ----

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Sep,
    Open,
    Close,
    Comma,
    Star,
}

/// The imports of one file: use trees and inline paths that start with
/// `crate`, `super`, `self`, or the name of one of the file's child modules.
fn imports_of(file: usize, s: &Source, all: &[Source]) -> Vec<Import> {
    let code = &s.code;
    let children: BTreeSet<String> = all
        .iter()
        .filter(|o| o.module.len() == s.module.len() + 1 && o.module.starts_with(&s.module))
        .map(|o| o.module.last().unwrap().clone())
        .collect();
    let line_of = |pos: usize| code[..pos].iter().filter(|&&c| c == '\n').count() + 1;
    let mut out = Vec::new();
    let mut in_use = vec![false; code.len()];

    // `use` trees.
    let mut i = 0;
    while i + 4 <= code.len() {
        let is_use = code[i..i + 3] == ['u', 's', 'e']
            && code[i + 3].is_whitespace()
            && (i == 0 || !is_ident(code[i - 1]));
        if !is_use {
            i += 1;
            continue;
        }
        let end = (i..code.len())
            .find(|&j| code[j] == ';')
            .unwrap_or(code.len());
        for flag in &mut in_use[i..end] {
            *flag = true;
        }
        let toks = tokenize(&code[i + 3..end], i + 3);
        let mut pos = 0;
        let mut leaves: Vec<(Vec<String>, usize, bool)> = Vec::new();
        parse_tree(&toks, &mut pos, &[], &mut leaves);
        for (path, at, glob) in leaves {
            if let Some(target) = absolute(s, &children, &path) {
                out.push(Import {
                    file,
                    line: line_of(at),
                    target,
                    named_use: !glob,
                });
            }
        }
        i = end;
    }

    // Inline paths: `crate::a::b`, `super::x`, `child::f`.
    let mut i = 0;
    while i < code.len() {
        if !is_ident(code[i])
            || (i > 0 && (is_ident(code[i - 1]) || code[i - 1] == '$'))
            || in_use[i]
        {
            i += 1;
            continue;
        }
        let preceded_by_sep = i >= 2 && code[i - 1] == ':' && code[i - 2] == ':';
        let mut j = i;
        let mut path = Vec::new();
        loop {
            let start = j;
            while j < code.len() && is_ident(code[j]) {
                j += 1;
            }
            path.push(code[start..j].iter().collect::<String>());
            if j + 2 < code.len() && code[j] == ':' && code[j + 1] == ':' && is_ident(code[j + 2]) {
                j += 2;
            } else {
                break;
            }
        }
        let first = path[0].as_str();
        let relative = matches!(first, "crate" | "super" | "self")
            || children.contains(first)
            || (s.rel == "src/main.rs" && first == "edgebench");
        if !preceded_by_sep && relative && path.len() > 1 {
            if let Some(target) = absolute(s, &children, &path) {
                out.push(Import {
                    file,
                    line: line_of(i),
                    target,
                    named_use: false,
                });
            }
        }
        i = j.max(i + 1);
    }
    out
}

fn tokenize(code: &[char], offset: usize) -> Vec<(Tok, usize)> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let c = code[i];
        if is_ident(c) {
            let start = i;
            while i < code.len() && is_ident(code[i]) {
                i += 1;
            }
            toks.push((Tok::Ident(code[start..i].iter().collect()), offset + start));
            continue;
        }
        match c {
            ':' if code.get(i + 1) == Some(&':') => {
                toks.push((Tok::Sep, offset + i));
                i += 1;
            }
            '{' => toks.push((Tok::Open, offset + i)),
            '}' => toks.push((Tok::Close, offset + i)),
            ',' => toks.push((Tok::Comma, offset + i)),
            '*' => toks.push((Tok::Star, offset + i)),
            _ => {}
        }
        i += 1;
    }
    toks
}

/// Parses one use tree at `pos`, pushing each leaf path with its offset.
fn parse_tree(
    toks: &[(Tok, usize)],
    pos: &mut usize,
    prefix: &[String],
    leaves: &mut Vec<(Vec<String>, usize, bool)>,
) {
    let mut path = prefix.to_vec();
    let mut at = toks.get(*pos).map_or(0, |t| t.1);
    if toks.get(*pos).map(|t| &t.0) == Some(&Tok::Sep) {
        *pos += 1; // a leading `::`
    }
    loop {
        match toks.get(*pos) {
            Some((Tok::Ident(name), off)) => {
                if name != "self" || path.is_empty() {
                    path.push(name.clone());
                }
                at = *off;
                *pos += 1;
                // `as alias`
                if let Some((Tok::Ident(kw), _)) = toks.get(*pos) {
                    if kw == "as" {
                        *pos += 2;
                    }
                }
            }
            Some((Tok::Open, _)) => {
                *pos += 1;
                while !matches!(toks.get(*pos), None | Some((Tok::Close, _))) {
                    parse_tree(toks, pos, &path, leaves);
                    if matches!(toks.get(*pos), Some((Tok::Comma, _))) {
                        *pos += 1;
                    }
                }
                *pos += 1;
                return;
            }
            Some((Tok::Star, off)) => {
                *pos += 1;
                leaves.push((path, *off, true));
                return;
            }
            _ => break,
        }
        if matches!(toks.get(*pos), Some((Tok::Sep, _))) {
            *pos += 1;
        } else {
            break;
        }
    }
    leaves.push((path, at, false));
}

/// The absolute module path a path in file `s` names, or None when it is not a
/// path into this crate (std, a dependency, a local item).
fn absolute(s: &Source, children: &BTreeSet<String>, path: &[String]) -> Option<Vec<String>> {
    let first = path.first()?.as_str();
    let mut base: Vec<String> = s.module.clone();
    if s.rel == "src/main.rs" {
        // The binary names the library `edgebench::`; its own `crate::` is itself.
        return (first == "edgebench").then(|| path[1..].to_vec());
    }
    let rest = match first {
        "crate" => {
            base.clear();
            &path[1..]
        }
        "self" => &path[1..],
        "super" => {
            let supers = path.iter().take_while(|p| *p == "super").count();
            // A file `a/b.rs` is module a::b: its `super` is `a`.
            for _ in 0..supers {
                base.pop()?;
            }
            &path[supers..]
        }
        name if children.contains(name) => path,
        _ => return None,
    };
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Resolves imports to defining files, following `use`/`pub use` of named items.
fn resolve(sources: &[Source], imports: &[Import]) -> Vec<Edge> {
    let by_module: BTreeMap<&[String], usize> = sources
        .iter()
        .enumerate()
        .filter(|(_, s)| s.rel != "src/main.rs")
        .map(|(i, s)| (s.module.as_slice(), i))
        .collect();
    // Names each file brings into scope with `use`: file -> name -> target path.
    let mut scope: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    for imp in imports.iter().filter(|i| i.named_use) {
        if let Some(name) = imp.target.last() {
            scope
                .entry((imp.file, name.clone()))
                .or_insert_with(|| imp.target.clone());
        }
    }
    let file_of = |path: &[String]| -> Option<(usize, usize)> {
        (0..=path.len())
            .rev()
            .find_map(|n| by_module.get(&path[..n]).map(|&f| (f, n)))
    };
    let mut edges = Vec::new();
    for imp in imports {
        let mut target = imp.target.clone();
        let mut hops = 0;
        let mut named = None;
        let to = loop {
            let Some((file, used)) = file_of(&target) else {
                break None;
            };
            named.get_or_insert(file);
            // `a::b::Name` where file a/b.rs only imports `Name`: follow it.
            match target
                .get(used)
                .and_then(|name| scope.get(&(file, name.clone())))
            {
                Some(next) if hops < 8 && file != imp.file && next != &target => {
                    let mut t = next.clone();
                    t.extend(target[used + 1..].iter().cloned());
                    target = t;
                    hops += 1;
                }
                _ => break Some(file),
            }
        };
        // Both count: the module the path names, and the file that defines the item.
        let edge = |to: usize, defined_in: Option<String>| Edge {
            from: imp.file,
            to,
            line: imp.line,
            path: imp.target.join("::"),
            defined_in,
        };
        if let (Some(named), Some(to)) = (named, to) {
            edges.push(edge(named, None));
            if to != named {
                edges.push(edge(to, Some(sources[to].rel.clone())));
            }
        }
    }
    edges
}
