//! Macros and call blocks: a macro is called like a function, binds its parameters as
//! Jinja2 does (extra arguments to `varargs` and `kwargs` when the body uses them), runs its
//! body in a scope of its own on top of the one it was defined in, and returns its output.

use std::rc::Rc;

use super::{Context, Frame, Interp, Scope};
use crate::ast::{Expr, ExprKind, MacroDef};
use crate::error::Error;
use crate::value::{Args, Dict, Object, Undefined, Value};

type Result<T> = std::result::Result<T, Error>;

pub struct Macro {
    def: Rc<MacroDef>,
    /// Where the macro was defined: its body sees those variables.
    scope: Rc<Scope>,
    ctx: Rc<Context>,
    template: Rc<str>,
    /// The autoescape setting where it was defined, for the `caller` of a call block.
    autoescape: bool,
}

impl Interp<'_> {
    pub fn define_macro(&mut self, def: &Rc<MacroDef>, frame: &Frame) -> Result<()> {
        let value = self.make_macro(def, frame);
        self.clear_at_end(&frame.scope);
        frame.scope.set(def.name.clone(), value);
        Ok(())
    }

    fn make_macro(&self, def: &Rc<MacroDef>, frame: &Frame) -> Value {
        Value::object(Macro {
            def: def.clone(),
            scope: frame.scope.clone(),
            ctx: frame.ctx.clone(),
            template: self.current_template(),
            autoescape: self.autoescape,
        })
    }

    /// `{% call m(args) %}body{% endcall %}`: `m` called with the body as `caller`.
    pub fn call_block(
        &mut self,
        caller: &Rc<MacroDef>,
        call: &Expr,
        frame: &Frame,
    ) -> Result<Value> {
        let caller = self.make_macro(caller, frame);
        let ExprKind::Call(callee, args) = &call.kind else {
            return Err(Error::syntax("expected call"));
        };
        self.eval_call(callee, args, frame, Some(caller))
    }
}

impl Macro {
    /// The variables the body starts with: the parameters, `caller`, `varargs`, `kwargs`.
    fn bind(&self, interp: &mut Interp, mut args: Args, frame: &Frame) -> Result<()> {
        let def = &self.def;
        let name = &def.name;
        let count = def.params.len();
        let extra: Vec<Value> = args.positional.split_off(count.min(args.positional.len()));
        for (index, (param, default)) in def.params.iter().enumerate() {
            let given = match args.positional.get(index) {
                Some(value) => Some(value.clone()),
                None => take_keyword(&mut args, param),
            };
            let value = match (given, default) {
                (Some(value), _) => value,
                (None, Some(default)) => interp.eval(default, frame)?,
                (None, None) => Value::Undefined(Rc::new(Undefined::strict(format!(
                    "parameter '{param}' was not provided"
                )))),
            };
            frame.scope.set(param.clone(), value);
        }
        if def.caller {
            let caller = take_keyword(&mut args, "caller").unwrap_or_else(|| {
                Value::Undefined(Rc::new(Undefined::strict("No caller defined".into())))
            });
            frame.scope.set("caller".into(), caller);
        }
        if def.catch_kwargs {
            let kwargs: Dict = args.keywords.drain(..).collect();
            frame.scope.set("kwargs".into(), Value::dict(kwargs));
        } else if let Some((key, _)) = args.keywords.first() {
            return Err(Error::type_error(format!(
                "macro '{name}' takes no keyword argument '{key}'"
            )));
        }
        if def.catch_varargs {
            frame.scope.set("varargs".into(), Value::tuple(extra));
        } else if !extra.is_empty() {
            return Err(Error::type_error(format!(
                "macro '{name}' takes not more than {count} argument(s)"
            )));
        }
        Ok(())
    }
}

fn take_keyword(args: &mut Args, name: &str) -> Option<Value> {
    let index = args.keywords.iter().position(|(k, _)| &**k == name)?;
    Some(args.keywords.remove(index).1)
}

impl Object for Macro {
    fn type_name(&self) -> String {
        "Macro".into()
    }

    fn qualified_type_name(&self) -> String {
        "jinja2.runtime.Macro".into()
    }

    fn repr(&self) -> String {
        format!("<Macro '{}'>", self.def.name)
    }

    fn attr(&self, name: &str) -> Option<Value> {
        let def = &self.def;
        Some(match name {
            "name" => Value::Str(def.name.clone()),
            "arguments" => Value::tuple(
                def.params
                    .iter()
                    .map(|(p, _)| Value::Str(p.clone()))
                    .collect(),
            ),
            "catch_kwargs" => Value::Bool(def.catch_kwargs),
            "catch_varargs" => Value::Bool(def.catch_varargs),
            "caller" => Value::Bool(def.caller),
            _ => return None,
        })
    }

    fn is_callable(&self) -> bool {
        true
    }

    fn call(&self, interp: &mut Interp, args: Args) -> Result<Value> {
        interp.deeper(|interp| {
            let frame = Frame {
                scope: Scope::child(&self.scope),
                ctx: self.ctx.clone(),
                top_level: false,
            };
            interp.in_template(&self.template, |interp| {
                self.bind(interp, args, &frame)?;
                let outer = std::mem::replace(&mut interp.autoescape, self.autoescape);
                let mut out = String::new();
                let result = interp.exec(&self.def.body, &frame, &mut out);
                let value = interp.text_value(out);
                interp.autoescape = outer;
                result.map(|()| value)
            })
        })
    }
}
