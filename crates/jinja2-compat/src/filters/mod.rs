//! Jinja2's built-in filters, with Jinja2's arguments, defaults and edge cases.

mod html;
mod number;
mod select;
mod sequence;
mod text;
mod wrap;

use std::rc::Rc;

use super::error::Error;
use super::eval::Interp;
use super::lookup;
use super::python;
use super::value::{Args, Int, Value};

pub type Filter = fn(&mut Interp, Value, Args) -> Result<Value, Error>;

const FILTERS: &[(&str, Filter)] = &[
    ("abs", number::abs),
    ("attr", sequence::attr),
    ("batch", sequence::batch),
    ("capitalize", text::capitalize),
    ("center", text::center),
    ("count", sequence::length),
    ("d", default),
    ("default", default),
    ("dictsort", sequence::dictsort),
    ("e", html::escape),
    ("escape", html::escape),
    ("filesizeformat", number::filesizeformat),
    ("first", sequence::first),
    ("float", number::float),
    ("forceescape", html::forceescape),
    ("format", text::format),
    ("groupby", sequence::groupby),
    ("indent", text::indent),
    ("int", number::int),
    ("items", sequence::items),
    ("join", sequence::join),
    ("last", sequence::last),
    ("length", sequence::length),
    ("list", sequence::list),
    ("lower", text::lower),
    ("map", select::map),
    ("max", sequence::max),
    ("min", sequence::min),
    ("pprint", text::pprint),
    ("random", sequence::random),
    ("reject", select::reject),
    ("rejectattr", select::rejectattr),
    ("replace", text::replace),
    ("reverse", sequence::reverse),
    ("round", number::round),
    ("safe", html::safe),
    ("select", select::select),
    ("selectattr", select::selectattr),
    ("slice", sequence::slice),
    ("sort", sequence::sort),
    ("string", text::string),
    ("striptags", html::striptags),
    ("sum", sequence::sum),
    ("title", text::title),
    ("tojson", html::tojson),
    ("trim", text::trim),
    ("truncate", text::truncate),
    ("unique", sequence::unique),
    ("upper", text::upper),
    ("urlencode", html::urlencode),
    ("urlize", html::urlize),
    ("wordcount", text::wordcount),
    ("wordwrap", wrap::wordwrap),
    ("xmlattr", html::xmlattr),
];

/// Whether Jinja2 has a filter of that name.
pub fn exists(name: &str) -> bool {
    find(name).is_some()
}

pub fn find(name: &str) -> Option<Filter> {
    // A filter is looked up at each call: by hash, not by a walk through the names.
    static BY_NAME: std::sync::OnceLock<std::collections::HashMap<&str, Filter>> =
        std::sync::OnceLock::new();
    BY_NAME
        .get_or_init(|| FILTERS.iter().copied().collect())
        .get(name)
        .copied()
}

/// `default(value, default_value='', boolean=False)`.
fn default(_: &mut Interp, value: Value, args: Args) -> Result<Value, Error> {
    let bound = args.bind("default", &["default_value", "boolean"], 0)?;
    let replace = value.is_undefined() || (bound.flag(1, false)? && !value.truthy()?);
    if replace {
        return Ok(bound.raw(0).cloned().unwrap_or_else(|| Value::from("")));
    }
    Ok(value)
}

/// Jinja2's `soft_str`: the text of a value, `Markup` kept as it is.
fn soft_str(value: &Value) -> Result<String, Error> {
    python::str(value)
}

/// The text of a filter that uses string methods on its value, as `wordwrap` and `indent`
/// do: anything else fails, as in Jinja2.
fn string_only(value: &Value, method: &str) -> Result<String, Error> {
    value.check()?;
    value.as_str().map(str::to_owned).ok_or_else(|| {
        Error::type_error(format!(
            "'{}' object has no attribute '{method}'",
            value.type_name()
        ))
    })
}

/// Lower case for a string, as the filters compare case-insensitively.
fn ignore_case(value: Value) -> Value {
    match &value {
        Value::Str(s) => Value::from(s.to_lowercase()),
        _ => value,
    }
}

/// The parts of an `attribute` argument: `"a.b.0"` is `a`, `b`, then item 0.
fn attribute_parts(attribute: &Value) -> Vec<Value> {
    match attribute.as_str() {
        Some(path) => path
            .split('.')
            .map(|part| match part.parse::<i64>() {
                Ok(i) if part.chars().all(|c| c.is_ascii_digit()) => Value::Int(Int::Small(i)),
                _ => Value::from(part),
            })
            .collect(),
        None => vec![attribute.clone()],
    }
}

/// Jinja2's `make_attrgetter`: an item found through `attribute` (each part an item, else
/// an attribute), `default` for an undefined one.
struct Getter {
    parts: Option<Vec<Value>>,
    default: Option<Value>,
    lower: bool,
}

impl Getter {
    fn new(attribute: Option<&Value>, default: Option<Value>, lower: bool) -> Getter {
        Getter {
            parts: attribute.map(attribute_parts),
            default,
            lower,
        }
    }

    fn get(&self, item: &Value) -> Result<Value, Error> {
        let mut value = item.clone();
        for part in self.parts.iter().flatten() {
            value = lookup::subscript(&value, part)?;
            if let Some(default) = &self.default
                && value.is_undefined()
            {
                value = default.clone();
            }
        }
        Ok(if self.lower {
            ignore_case(value)
        } else {
            value
        })
    }
}

/// The text arguments of a filter as `Rc<str>`.
fn text_arg(value: Option<&Value>) -> Result<Option<Rc<str>>, Error> {
    value.map(|v| soft_str(v).map(Rc::from)).transpose()
}
