//! Template inheritance: `{% extends %}`, `{% block %}`, `super()` and `self.name()`.

use std::rc::Rc;

use super::{BlockRef, Context, Frame, Interp, Scope};
use crate::ast::{BlockDef, Expr};
use crate::error::{Error, ErrorKind};
use crate::value::{Args, Object, Undefined, Value};

type Result<T> = std::result::Result<T, Error>;

impl Interp<'_> {
    /// `{% extends name %}`: the rest of this template only defines blocks and variables;
    /// the parent is rendered when this template ends.
    pub fn exec_extends(&mut self, name: &Expr, frame: &Frame, line: usize) -> Result<()> {
        if frame.ctx.has_parent() {
            return Err(Error::new(ErrorKind::Template, "extended multiple times"));
        }
        let name = self.eval(name, frame)?;
        let parent = self.deeper(|interp| interp.load_named(&name))?;
        frame.ctx.add_blocks(&parent);
        frame.ctx.set_parent(&self.current_template(), line, parent)
    }

    /// `{% block name %}` where it stands: the most derived definition of the block, unless
    /// this template extends another (the parent places the blocks).
    pub fn exec_block(&mut self, block: &BlockDef, frame: &Frame, out: &mut String) -> Result<()> {
        if frame.top_level && frame.ctx.has_parent() {
            return Ok(());
        }
        let chain = frame.ctx.block_chain(&block.name);
        let scope = if block.scoped {
            frame.scope.clone()
        } else {
            frame.ctx.root.clone()
        };
        let text = self.render_block(&chain, 0, &frame.ctx, &scope)?;
        self.write_text(&text, frame, out)
    }

    /// Renders definition `level` of a block's chain, with `super()` for the next one.
    fn render_block(
        &mut self,
        chain: &[BlockRef],
        level: usize,
        ctx: &Rc<Context>,
        scope: &Rc<Scope>,
    ) -> Result<String> {
        let Some(block) = chain.get(level) else {
            return Ok(String::new());
        };
        if block.def.required {
            return Err(Error::new(
                ErrorKind::Template,
                format!("Required block '{}' not found", block.def.name),
            ));
        }
        let frame = Frame {
            scope: Scope::child(scope),
            ctx: ctx.clone(),
            top_level: false,
        };
        let parent_block = match chain.get(level + 1) {
            Some(_) => Value::object(Super {
                chain: chain.to_vec(),
                level: level + 1,
                ctx: ctx.clone(),
                scope: scope.clone(),
            }),
            None => Value::Undefined(Rc::new(Undefined::strict(format!(
                "there is no parent block called '{}'.",
                block.def.name
            )))),
        };
        frame.scope.set("super".into(), parent_block);
        self.deeper(|interp| {
            interp.in_template(&block.template, |interp| {
                let mut out = String::new();
                interp.exec(&block.def.body, &frame, &mut out)?;
                Ok(out)
            })
        })
    }
}

/// `super()` inside a block: the definition it overrides.
struct Super {
    chain: Vec<BlockRef>,
    level: usize,
    ctx: Rc<Context>,
    scope: Rc<Scope>,
}

impl Object for Super {
    fn type_name(&self) -> String {
        "BlockReference".into()
    }

    fn repr(&self) -> String {
        format!("<BlockReference {:?}>", &*self.chain[0].def.name)
    }

    fn is_callable(&self) -> bool {
        true
    }

    fn call(&self, interp: &mut Interp, _args: Args) -> Result<Value> {
        let text = interp.render_block(&self.chain, self.level, &self.ctx, &self.scope)?;
        Ok(interp.text_value(text))
    }
}

/// `self`: the blocks of the template, `self.name()` rendering one.
pub struct SelfRef {
    ctx: Rc<Context>,
}

impl SelfRef {
    pub fn new(ctx: Rc<Context>) -> SelfRef {
        SelfRef { ctx }
    }
}

impl Object for SelfRef {
    fn type_name(&self) -> String {
        "TemplateReference".into()
    }

    fn repr(&self) -> String {
        "<TemplateReference>".into()
    }

    fn attr(&self, name: &str) -> Option<Value> {
        let chain = self.ctx.block_chain(name);
        if chain.is_empty() {
            return None;
        }
        Some(Value::object(Super {
            chain,
            level: 0,
            ctx: self.ctx.clone(),
            scope: self.ctx.root.clone(),
        }))
    }
}
