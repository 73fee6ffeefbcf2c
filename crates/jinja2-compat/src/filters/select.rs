//! `map`, `select`, `reject`, `selectattr` and `rejectattr`: filters that apply another
//! filter or a test to each item.

use super::{Getter, soft_str};
use crate::error::{Error, ErrorKind};
use crate::eval::Interp;
use crate::value::{Args, Lazy, Value, iterate};

type Result<T> = std::result::Result<T, Error>;

/// `map('filter', args…)` or `map(attribute='name', default=…)`.
pub fn map(interp: &mut Interp, value: Value, args: Args) -> Result<Value> {
    Ok(Lazy::generator(
        "sync_do_map",
        map_items(interp, value, args),
    ))
}

fn map_items(interp: &mut Interp, value: Value, mut args: Args) -> Result<Vec<Value>> {
    if !value.truthy()? {
        return Ok(Vec::new());
    }
    let items = iterate(&value)?;
    let by_attribute =
        args.positional.is_empty() && args.keywords.iter().any(|(k, _)| &**k == "attribute");
    if by_attribute {
        let bound = args.bind("map", &["attribute", "default"], 1)?;
        let getter = Getter::new(bound.raw(0), bound.raw(1).cloned(), false);
        return items.iter().map(|item| getter.get(item)).collect();
    }
    if args.positional.is_empty() {
        return Err(Error::new(
            ErrorKind::Filter,
            "map requires a filter argument",
        ));
    }
    let name = soft_str(&args.positional.remove(0))?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(interp.call_filter(&name, item, args.clone())?);
    }
    Ok(out)
}

pub fn select(interp: &mut Interp, value: Value, args: Args) -> Result<Value> {
    select_or_reject(interp, value, args, true, false)
}

pub fn reject(interp: &mut Interp, value: Value, args: Args) -> Result<Value> {
    select_or_reject(interp, value, args, false, false)
}

pub fn selectattr(interp: &mut Interp, value: Value, args: Args) -> Result<Value> {
    select_or_reject(interp, value, args, true, true)
}

pub fn rejectattr(interp: &mut Interp, value: Value, args: Args) -> Result<Value> {
    select_or_reject(interp, value, args, false, true)
}

/// The items (or those whose attribute) pass the test named by the first argument (or are
/// true without one), or fail it with `keep` false.
fn select_or_reject(
    interp: &mut Interp,
    value: Value,
    args: Args,
    keep: bool,
    by_attribute: bool,
) -> Result<Value> {
    let items = selected(interp, value, args, keep, by_attribute);
    Ok(Lazy::generator("select_or_reject", items))
}

fn selected(
    interp: &mut Interp,
    value: Value,
    mut args: Args,
    keep: bool,
    by_attribute: bool,
) -> Result<Vec<Value>> {
    let getter = if by_attribute {
        if args.positional.is_empty() {
            return Err(Error::new(
                ErrorKind::Filter,
                "Missing parameter for attribute name",
            ));
        }
        Some(Getter::new(Some(&args.positional.remove(0)), None, false))
    } else {
        None
    };
    let test = if args.positional.is_empty() {
        None
    } else {
        Some(soft_str(&args.positional.remove(0))?)
    };
    if !value.truthy()? {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for item in iterate(&value)? {
        let subject = match &getter {
            Some(getter) => getter.get(&item)?,
            None => item.clone(),
        };
        let passes = match &test {
            Some(name) => interp.call_test(name, subject, args.clone())?,
            None => subject.truthy()?,
        };
        if passes == keep {
            out.push(item);
        }
    }
    Ok(out)
}
