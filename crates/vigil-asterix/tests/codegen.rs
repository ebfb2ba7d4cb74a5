//! Generates `src/tables/generated.rs` from the structured `asterix-specs` text definitions
//! in `shared/reference/asterix-specs/`, and checks that the committed file is current.
//!
//! Run with `VIGIL_ASTERIX_REGEN=1` to rewrite the file. Without the spec folder (a fresh
//! clone without `shared/`) the check is skipped with a message.
//!
//! The parser lives here, not in the library: the product only needs the tables.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should stop loudly.

use std::fmt::Write as _;
use std::path::PathBuf;

/// (spec file, module name, RE expansion module) in output order.
const SOURCES: &[(&str, &str, Option<&str>)] = &[
    ("cat048-ref-1.11.ast", "ref048_1_11", None),
    ("cat062-ref-1.3.ast", "ref062_1_3", None),
    ("cat021-ref-1.5.ast", "ref021_1_5", None),
    ("cat048-cat-1.32.ast", "cat048_1_32", Some("ref048_1_11")),
    ("cat048-cat-1.27.ast", "cat048_1_27", Some("ref048_1_11")),
    ("cat034-cat-1.29.ast", "cat034_1_29", None),
    ("cat062-cat-1.21.ast", "cat062_1_21", Some("ref062_1_3")),
    ("cat062-cat-1.18.ast", "cat062_1_18", Some("ref062_1_3")),
    ("cat021-cat-2.6.ast", "cat021_2_6", Some("ref021_1_5")),
    ("cat021-cat-0.26.ast", "cat021_0_26", None),
    ("cat065-cat-1.6.ast", "cat065_1_6", None),
];

fn spec_dir() -> PathBuf {
    match std::env::var_os("VIGIL_SHARED_REFERENCE") {
        Some(p) => PathBuf::from(p).join("asterix-specs"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/asterix-specs"),
    }
}

#[test]
fn generated_tables_are_current() {
    let dir = spec_dir();
    if !dir.is_dir() {
        eprintln!(
            "SKIP generated_tables_are_current: no spec folder at {}",
            dir.display()
        );
        return;
    }
    let code = generate(&dir);
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/tables/generated.rs");
    if std::env::var_os("VIGIL_ASTERIX_REGEN").is_some() {
        std::fs::write(&out, &code).unwrap();
        eprintln!("wrote {}", out.display());
        return;
    }
    let committed = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        committed == code,
        "src/tables/generated.rs is stale: run `VIGIL_ASTERIX_REGEN=1 cargo test -p vigil-asterix --test codegen`"
    );
}

// ---------------------------------------------------------------------------------------
// Indentation tree

#[derive(Debug)]
struct Node {
    text: String,
    children: Vec<Node>,
}

fn parse_tree(src: &str) -> Vec<Node> {
    // Stack of (indent, path of child indices from the root).
    let mut root: Vec<Node> = Vec::new();
    let mut stack: Vec<(usize, Vec<usize>)> = Vec::new();
    for line in src.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let node = Node {
            text: line.trim().to_owned(),
            children: Vec::new(),
        };
        let path = match stack.last() {
            None => {
                root.push(node);
                vec![root.len() - 1]
            }
            Some((_, parent)) => {
                let mut p = parent.clone();
                let siblings = &mut node_at(&mut root, &p).children;
                siblings.push(node);
                p.push(siblings.len() - 1);
                p
            }
        };
        stack.push((indent, path));
    }
    root
}

fn node_at<'a>(root: &'a mut [Node], path: &[usize]) -> &'a mut Node {
    let mut n = &mut root[path[0]];
    for &i in &path[1..] {
        n = &mut n.children[i];
    }
    n
}

// ---------------------------------------------------------------------------------------
// Model

#[derive(Debug)]
enum Var {
    Element(u32, Content),
    Group(Vec<Field>),
    Extended(Vec<Vec<Field>>),
    Repetitive(bool, Box<Var>),
    Explicit(&'static str),
    Compound(Vec<Option<Named>>),
}

#[derive(Debug)]
enum Field {
    Spare(u32),
    Named(Named),
}

#[derive(Debug)]
struct Named {
    name: String,
    title: String,
    var: Var,
}

#[derive(Debug)]
enum Content {
    Raw,
    Table(Vec<(u32, String)>),
    Quantity {
        signed: bool,
        lsb: f64,
        unit: String,
    },
    Integer {
        signed: bool,
    },
    Ascii,
    Icao,
    Octal,
    Bds(Option<u8>),
}

const VARIATION_WORDS: &[&str] = &[
    "element",
    "group",
    "extended",
    "repetitive",
    "explicit",
    "compound",
];

fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("")
}

fn header(text: &str) -> (String, String) {
    let (name, rest) = text.split_once(' ').unwrap_or((text, ""));
    let title = rest.trim().trim_matches('"').to_owned();
    (name.to_owned(), title)
}

fn variation_child(node: &Node) -> &Node {
    node.children
        .iter()
        .find(|c| VARIATION_WORDS.contains(&first_word(&c.text)))
        .unwrap_or_else(|| panic!("no variation under {:?}", node.text))
}

fn parse_named(node: &Node) -> Named {
    let (name, title) = header(&node.text);
    Named {
        name,
        title,
        var: parse_var(variation_child(node)),
    }
}

fn parse_field(node: &Node) -> Field {
    if first_word(&node.text) == "spare" {
        Field::Spare(node.text[6..].trim().parse().unwrap())
    } else {
        Field::Named(parse_named(node))
    }
}

fn parse_var(node: &Node) -> Var {
    let words: Vec<&str> = node.text.split_whitespace().collect();
    match words[0] {
        "element" => {
            let bits: u32 = words[1].parse().unwrap();
            assert!((1..=64).contains(&bits), "element of {bits} bits");
            Var::Element(bits, parse_content(&node.children[0]))
        }
        "group" => Var::Group(node.children.iter().map(parse_field).collect()),
        "extended" => {
            let mut parts = vec![Vec::new()];
            for c in &node.children {
                if c.text == "-" {
                    parts.push(Vec::new());
                } else {
                    parts.last_mut().unwrap().push(parse_field(c));
                }
            }
            // Every extended item in these specs ends with an FX bit.
            assert!(
                parts.pop().unwrap().is_empty(),
                "extended item without final FX: {}",
                node.text
            );
            Var::Extended(parts)
        }
        "repetitive" => Var::Repetitive(words[1] == "fx", Box::new(parse_var(&node.children[0]))),
        "explicit" => Var::Explicit(match words.get(1) {
            Some(&"sp") => "Sp",
            Some(&"re") => "Re",
            _ => "Plain",
        }),
        "compound" => Var::Compound(
            node.children
                .iter()
                .map(|c| {
                    if c.text == "-" {
                        None
                    } else {
                        Some(parse_named(c))
                    }
                })
                .collect(),
        ),
        w => panic!("unknown variation {w}"),
    }
}

fn parse_content(node: &Node) -> Content {
    let words: Vec<&str> = node.text.split_whitespace().collect();
    match words.as_slice() {
        ["raw", ..] | ["case", ..] => Content::Raw,
        ["table", ..] => Content::Table(
            node.children
                .iter()
                .map(|c| {
                    let (k, v) = c.text.split_once(':').unwrap();
                    (k.trim().parse().unwrap(), v.trim().to_owned())
                })
                .collect(),
        ),
        [sign, "quantity", lsb, rest @ ..] => {
            let unit = rest.join(" ");
            let unit = unit.split('"').nth(1).unwrap_or("").to_owned();
            Content::Quantity {
                signed: *sign == "signed",
                lsb: eval_lsb(lsb),
                unit,
            }
        }
        [sign, "integer", ..] => Content::Integer {
            signed: *sign == "signed",
        },
        ["string", "ascii"] => Content::Ascii,
        ["string", "icao"] => Content::Icao,
        ["string", "octal"] => Content::Octal,
        ["bds"] => Content::Bds(None),
        ["bds", n] => Content::Bds(Some(u8::from_str_radix(n, 16).unwrap())),
        _ => panic!("unknown content {:?}", node.text),
    }
}

fn eval_lsb(s: &str) -> f64 {
    fn term(t: &str) -> f64 {
        match t.split_once('^') {
            Some((b, e)) => b.parse::<f64>().unwrap().powi(e.parse().unwrap()),
            None => t.parse().unwrap(),
        }
    }
    match s.split_once('/') {
        Some((n, d)) => term(n) / term(d),
        None => term(s),
    }
}

// ---------------------------------------------------------------------------------------
// Rendering

fn render_var(v: &Var, out: &mut String) {
    match v {
        Var::Element(bits, c) => {
            write!(out, "Variation::Element(Element {{ bits: {bits}, content: ").unwrap();
            render_content(c, out);
            out.push_str(" })");
        }
        Var::Group(fields) => {
            out.push_str("Variation::Group(&[");
            render_fields(fields, out);
            out.push_str("])");
        }
        Var::Extended(parts) => {
            out.push_str("Variation::Extended(&[");
            for p in parts {
                out.push_str("&[");
                render_fields(p, out);
                out.push_str("], ");
            }
            out.push_str("])");
        }
        Var::Repetitive(fx, inner) => {
            let rep = if *fx { "Rep::Fx" } else { "Rep::Byte" };
            write!(out, "Variation::Repetitive {{ rep: {rep}, var: &").unwrap();
            render_var(inner, out);
            out.push_str(" }");
        }
        Var::Explicit(k) => write!(out, "Variation::Explicit(ExplicitKind::{k})").unwrap(),
        Var::Compound(subs) => {
            out.push_str("Variation::Compound(&[");
            for s in subs {
                match s {
                    None => out.push_str("None, "),
                    Some(n) => {
                        out.push_str("Some(");
                        render_named(n, out);
                        out.push_str("), ");
                    }
                }
            }
            out.push_str("])");
        }
    }
}

fn render_fields(fields: &[Field], out: &mut String) {
    for f in fields {
        match f {
            Field::Spare(n) => write!(out, "Field::Spare({n}), ").unwrap(),
            Field::Named(n) => {
                out.push_str("Field::Named(");
                render_named(n, out);
                out.push_str("), ");
            }
        }
    }
}

fn render_named(n: &Named, out: &mut String) {
    write!(
        out,
        "Named {{ name: {:?}, title: {:?}, var: ",
        n.name, n.title
    )
    .unwrap();
    render_var(&n.var, out);
    out.push_str(" }");
}

fn render_content(c: &Content, out: &mut String) {
    match c {
        Content::Raw => out.push_str("Content::Raw"),
        Content::Table(t) => {
            out.push_str("Content::Table(&[");
            for (k, v) in t {
                write!(out, "({k}, {v:?}), ").unwrap();
            }
            out.push_str("])");
        }
        Content::Quantity { signed, lsb, unit } => write!(
            out,
            "Content::Quantity {{ signed: {signed}, lsb: {lsb:?}, unit: {unit:?} }}"
        )
        .unwrap(),
        Content::Integer { signed } => {
            write!(out, "Content::Integer {{ signed: {signed} }}").unwrap()
        }
        Content::Ascii => out.push_str("Content::Ascii"),
        Content::Icao => out.push_str("Content::Icao"),
        Content::Octal => out.push_str("Content::Octal"),
        Content::Bds(None) => out.push_str("Content::Bds(None)"),
        Content::Bds(Some(n)) => write!(out, "Content::Bds(Some(0x{n:02x}))").unwrap(),
    }
}

fn generate(dir: &std::path::Path) -> String {
    let licence = std::fs::read_to_string(dir.join("LICENSE")).unwrap();
    let mut out = String::new();
    out.push_str(
        "// @generated by tests/codegen.rs from the asterix-specs structured definitions.\n",
    );
    out.push_str(
        "// Do not edit: run `VIGIL_ASTERIX_REGEN=1 cargo test -p vigil-asterix --test codegen`.\n",
    );
    out.push_str("//\n// The definitions are distributed under this licence:\n//\n");
    for l in licence.lines() {
        out.push_str(format!("// {l}").trim_end());
        out.push('\n');
    }
    out.push_str("\n#![allow(clippy::all, missing_docs)]\n\n");
    for (file, module, re) in SOURCES {
        let src = std::fs::read_to_string(dir.join(file)).unwrap();
        let tree = parse_tree(&src);
        let (kind, rest) = tree[0].text.split_once(' ').unwrap();
        let (cat, title) = rest.split_once(' ').unwrap();
        let title = title.trim_matches('"');
        let edition = tree
            .iter()
            .find(|n| first_word(&n.text) == "edition")
            .unwrap()
            .text[8..]
            .trim();
        writeln!(out, "/// {title}, edition {edition} (`{file}`).").unwrap();
        writeln!(out, "pub mod {module} {{").unwrap();
        out.push_str("    use crate::spec::*;\n\n");
        if kind == "ref" {
            let comp = tree
                .iter()
                .find(|n| first_word(&n.text) == "compound")
                .unwrap();
            let var = Var::Compound(comp.children.iter().map(|c| Some(parse_named(c))).collect());
            out.push_str("    /// Layout of the Reserved Expansion Field contents.\n");
            out.push_str("    pub static EXPANSION: Variation = ");
            render_var(&var, &mut out);
            out.push_str(";\n}\n\n");
            continue;
        }
        let items = tree.iter().find(|n| n.text == "items").unwrap();
        for it in &items.children {
            let n = parse_named(it);
            writeln!(out, "    /// I{cat}/{}: {}.", n.name, n.title).unwrap();
            write!(
                out,
                "    pub static I{}: Item = Item {{ name: {:?}, title: {:?}, var: ",
                n.name, n.name, n.title
            )
            .unwrap();
            render_var(&n.var, &mut out);
            out.push_str(" };\n");
        }
        let uap = tree.iter().find(|n| n.text == "uap").unwrap();
        writeln!(out, "    /// The category definition.").unwrap();
        writeln!(out, "    pub static CATEGORY: Category = Category {{").unwrap();
        writeln!(out, "        cat: {},", cat.parse::<u8>().unwrap()).unwrap();
        writeln!(out, "        edition: {edition:?},").unwrap();
        writeln!(out, "        title: {title:?},").unwrap();
        out.push_str("        uap: &[");
        for u in &uap.children {
            if u.text == "-" {
                out.push_str("None, ");
            } else {
                write!(out, "Some(&I{}), ", u.text).unwrap();
            }
        }
        out.push_str("],\n");
        match re {
            Some(r) => {
                writeln!(out, "        re_expansion: Some(&super::{r}::EXPANSION),").unwrap()
            }
            None => out.push_str("        re_expansion: None,\n"),
        }
        out.push_str("    };\n}\n\n");
    }
    out
}
