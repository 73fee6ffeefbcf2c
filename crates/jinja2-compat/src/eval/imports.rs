//! `{% include %}`, `{% import … as m %}` and `{% from … import a %}`: other templates of the
//! image's folder, rendered in a context of their own.

use std::collections::HashMap;
use std::rc::Rc;

use super::{Frame, Interp, Scope};
use crate::ast::{Import, ImportNames, Include, Template};
use crate::error::{Error, ErrorKind};
use crate::value::{Object, Undefined, Value, iterate};

type Result<T> = std::result::Result<T, Error>;

impl Interp<'_> {
    pub fn exec_include(
        &mut self,
        include: &Include,
        frame: &Frame,
        out: &mut String,
    ) -> Result<()> {
        let names = self.eval(&include.template, frame)?;
        let template = match self.load_first(&names)? {
            Some(template) => template,
            None if include.ignore_missing => return Ok(()),
            None => return Err(not_found(&names)),
        };
        let parent = self.context_for(include.with_context, frame);
        let text = self.deeper(|interp| interp.render_template(&template, parent))?;
        self.write_text(&text, frame, out)
    }

    pub fn exec_import(&mut self, import: &Import, frame: &Frame, line: usize) -> Result<()> {
        let name = self.eval(&import.template, frame)?;
        let template = self.deeper(|interp| interp.load_named(&name))?;
        let parent = self.context_for(import.with_context, frame);
        let module = self.deeper(|interp| interp.module(&template, parent))?;
        match &import.names {
            ImportNames::Module(alias) => frame.scope.set(alias.clone(), Value::object(module)),
            ImportNames::Names(names) => {
                for (name, alias) in names {
                    let value = module.vars.get(name).cloned().unwrap_or_else(|| {
                        Value::Undefined(Rc::new(Undefined::strict(format!(
                            "the template '{}' (imported on line {line} in '{}') does not export \
                             the requested name '{name}'",
                            template.name,
                            self.current_template()
                        ))))
                    });
                    frame.scope.set(alias.clone(), value);
                }
            }
        }
        Ok(())
    }

    /// What an included or imported template sees: every variable visible here (with
    /// context), or only the globals.
    fn context_for(&self, with_context: bool, frame: &Frame) -> Rc<Scope> {
        if with_context {
            Scope::root(frame.scope.flatten(), Some(self.globals()))
        } else {
            self.globals()
        }
    }

    /// Renders `template` as a module: its output is dropped, its top-level variables and
    /// macros (but those starting with `_`) are its attributes.
    fn module(&mut self, template: &Rc<Template>, parent: Rc<Scope>) -> Result<Module> {
        let scope = Scope::child(&parent);
        let ctx = Rc::new(super::Context::new(scope.clone(), template));
        self.clear_at_end(&scope);
        let frame = Frame {
            scope: scope.clone(),
            ctx,
            top_level: true,
        };
        let mut out = String::new();
        self.in_template(&template.name, |interp| {
            interp.exec(&template.body, &frame, &mut out)
        })?;
        let vars = scope
            .own()
            .into_iter()
            .filter(|(name, _)| !name.starts_with('_'))
            .collect();
        Ok(Module {
            name: template.name.clone(),
            vars,
        })
    }

    /// The template a value names; a list or tuple names candidates, the first found wins.
    fn load_first(&mut self, names: &Value) -> Result<Option<Rc<Template>>> {
        let candidates = match names {
            Value::List(_) | Value::Tuple(_) => iterate(names)?,
            other => vec![other.clone()],
        };
        for name in candidates {
            let name = template_name(&name)?;
            if let Some(template) = self.load(&name)? {
                return Ok(Some(template));
            }
        }
        Ok(None)
    }

    /// The template a value names, which must exist.
    pub fn load_named(&mut self, name: &Value) -> Result<Rc<Template>> {
        self.load_first(name)?.ok_or_else(|| not_found(name))
    }
}

/// A template name, as Jinja2's loader reads it.
fn template_name(value: &Value) -> Result<String> {
    value.check()?;
    value.as_str().map(str::to_owned).ok_or_else(|| {
        Error::type_error(format!(
            "Can't compile non template nodes ({} given)",
            value.type_name()
        ))
    })
}

fn not_found(names: &Value) -> Error {
    let listed = match names {
        Value::List(_) | Value::Tuple(_) => iterate(names)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect::<Vec<_>>()
            .join("', '"),
        other => other.as_str().unwrap_or_default().to_owned(),
    };
    Error::new(
        ErrorKind::NotFound,
        format!("'{listed}' not found in the image's folder"),
    )
}

/// An imported template.
pub struct Module {
    name: Rc<str>,
    vars: HashMap<Rc<str>, Value>,
}

impl Object for Module {
    fn type_name(&self) -> String {
        "TemplateModule".into()
    }

    fn qualified_type_name(&self) -> String {
        "jinja2.environment.TemplateModule".into()
    }

    fn repr(&self) -> String {
        format!("<Template '{}'>", self.name)
    }

    fn attr(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }
}
