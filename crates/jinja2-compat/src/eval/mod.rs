//! Runs a parsed template: statements write to the output, expressions compute values, with
//! Jinja2's scoping (a loop or a macro has its own variables; a block sees the template's),
//! and its `extends`, `include` and `import`.

mod call;
mod expr;
mod imports;
mod inheritance;
mod loops;
mod macros;
mod scope;
mod stmt;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub use scope::Scope;

use super::ast::{BlockDef, Template};
use super::environment::Environment;
use super::error::{Error, ErrorKind};
use super::limits;
use super::{filters, globals, parser};

pub use super::environment::Loader;

pub struct Interp<'a> {
    loader: &'a Loader<'a>,
    env: &'a Environment,
    /// The variables the render was given, as filters of the application see them.
    vars: HashMap<Rc<str>, super::value::Value>,
    globals: Rc<Scope>,
    depth: usize,
    /// `{% autoescape true %}` is on.
    pub autoescape: bool,
    /// Templates already parsed in this render (an include in a loop is parsed once).
    parsed: HashMap<Rc<str>, Rc<Template>>,
    /// Scopes to empty at the end, so that macros and the scopes holding them are freed.
    to_clear: Vec<Rc<Scope>>,
    /// The template whose code runs now, for error locations.
    current: Rc<str>,
}

/// One rendering of one template (Jinja2's `Context`): its variables, the blocks of its
/// chain of `extends`, and the parent it extends, once known.
pub struct Context {
    pub root: Rc<Scope>,
    blocks: RefCell<HashMap<Rc<str>, Vec<BlockRef>>>,
    parent: RefCell<Option<Rc<Template>>>,
    /// The templates of the chain of `extends` so far, with the line of their `extends`.
    chain: RefCell<Vec<(Rc<str>, usize)>>,
}

#[derive(Clone)]
pub struct BlockRef {
    pub def: Rc<BlockDef>,
    pub template: Rc<str>,
}

/// Where code runs: its scope and context, and whether its output is the template's own
/// (which an `extends` silences).
#[derive(Clone)]
pub struct Frame {
    pub scope: Rc<Scope>,
    pub ctx: Rc<Context>,
    pub top_level: bool,
}

/// Renders the template `name` with `vars` as its context.
pub fn render(
    env: &Environment,
    loader: &Loader,
    vars: HashMap<Rc<str>, super::value::Value>,
    name: &str,
) -> Result<String, Error> {
    limits::reset(env.limits());
    let mut interp = Interp {
        loader,
        env,
        vars: vars.clone(),
        globals: globals::scope(),
        depth: 0,
        autoescape: false,
        parsed: HashMap::new(),
        to_clear: Vec::new(),
        current: name.into(),
    };
    let result = interp.render_main(name, vars);
    for scope in interp.to_clear.drain(..) {
        scope.clear();
    }
    result
}

impl Interp<'_> {
    /// Whether a filter of that name exists: one the environment added, or Jinja2's.
    pub fn filter_exists(&self, name: &str) -> bool {
        self.env.has_filter(name) || filters::exists(name)
    }

    fn render_main(
        &mut self,
        name: &str,
        vars: HashMap<Rc<str>, super::value::Value>,
    ) -> Result<String, Error> {
        let template = self.load(name)?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("template '{name}' not found"))
        })?;
        let config = Scope::root(vars, Some(self.globals.clone()));
        self.render_template(&template, config)
    }

    /// The template `name`, parsed; `None` when the image has no such file.
    pub fn load(&mut self, name: &str) -> Result<Option<Rc<Template>>, Error> {
        if let Some(template) = self.parsed.get(name) {
            return Ok(Some(template.clone()));
        }
        let Some(source) = (self.loader)(name)? else {
            return Ok(None);
        };
        let template = Rc::new(parser::parse(&source, name.into(), &|filter| {
            self.env.has_filter(filter)
        })?);
        self.parsed.insert(name.into(), template.clone());
        Ok(Some(template))
    }

    /// Renders `template` in a new context whose variables fall back to `parent`, then the
    /// templates it extends.
    pub fn render_template(
        &mut self,
        template: &Rc<Template>,
        parent: Rc<Scope>,
    ) -> Result<String, Error> {
        let ctx = Rc::new(Context::new(Scope::child(&parent), template));
        self.to_clear.push(ctx.root.clone());
        let frame = Frame {
            scope: ctx.root.clone(),
            ctx: ctx.clone(),
            top_level: true,
        };
        let mut out = String::new();
        self.in_template(&template.name, |interp| {
            interp.exec(&template.body, &frame, &mut out)
        })?;
        while let Some(parent) = ctx.take_parent() {
            self.in_template(&parent.name, |interp| {
                interp.exec(&parent.body, &frame, &mut out)
            })?;
        }
        Ok(out)
    }

    /// Runs `run` as code of the template `name`.
    pub fn in_template<T>(
        &mut self,
        name: &Rc<str>,
        run: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let outer = std::mem::replace(&mut self.current, name.clone());
        let result = run(self).map_err(|e| e.left(name));
        self.current = outer;
        result
    }

    /// Runs `run` one call deeper: a template that includes or calls itself for ever fails
    /// with a recursion error, as in Python, instead of exhausting the stack.
    pub fn deeper<T>(
        &mut self,
        run: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if self.depth >= limits::get().max_depth {
            return Err(limits::recursion());
        }
        limits::charge_work(1)?;
        self.depth += 1;
        let result = limits::with_stack(|| run(self));
        self.depth -= 1;
        result
    }

    /// Empties `scope` when the render ends (it holds a macro that holds it).
    pub fn clear_at_end(&mut self, scope: &Rc<Scope>) {
        if !self
            .to_clear
            .last()
            .is_some_and(|last| Rc::ptr_eq(last, scope))
        {
            self.to_clear.push(scope.clone());
        }
    }

    pub fn current_template(&self) -> Rc<str> {
        self.current.clone()
    }

    pub fn globals(&self) -> Rc<Scope> {
        self.globals.clone()
    }
}

impl Context {
    fn new(root: Rc<Scope>, template: &Template) -> Context {
        let ctx = Context {
            root,
            blocks: RefCell::new(HashMap::new()),
            parent: RefCell::new(None),
            chain: RefCell::new(Vec::new()),
        };
        ctx.add_blocks(template);
        ctx
    }

    /// Adds the blocks of `template`, after those of the templates that extend it.
    pub fn add_blocks(&self, template: &Template) {
        let mut blocks = self.blocks.borrow_mut();
        for block in &template.blocks {
            blocks
                .entry(block.name.clone())
                .or_default()
                .push(BlockRef {
                    def: block.clone(),
                    template: template.name.clone(),
                });
        }
    }

    /// The definitions of block `name`, the most derived first.
    pub fn block_chain(&self, name: &str) -> Vec<BlockRef> {
        self.blocks.borrow().get(name).cloned().unwrap_or_default()
    }

    pub fn has_parent(&self) -> bool {
        self.parent.borrow().is_some()
    }

    /// Records that `child` extends `parent` at `line`. A chain that comes back to a template
    /// never ends: Python's recursion error, placed at the `extends` of the template where the
    /// loop starts.
    pub fn set_parent(
        &self,
        child: &Rc<str>,
        line: usize,
        parent: Rc<Template>,
    ) -> Result<(), Error> {
        let mut chain = self.chain.borrow_mut();
        chain.push((child.clone(), line));
        if let Some((start, start_line)) = chain.iter().find(|(name, _)| *name == parent.name) {
            return Err(limits::recursion().placed(start, *start_line));
        }
        self.parent.replace(Some(parent));
        Ok(())
    }

    fn take_parent(&self) -> Option<Rc<Template>> {
        self.parent.borrow_mut().take()
    }
}
