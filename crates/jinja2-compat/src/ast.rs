//! The parsed form of a template: statements and expressions, each with its line.

use std::rc::Rc;

use super::value::Value;

pub struct Template {
    /// The path of the template relative to its image's folder.
    pub name: Rc<str>,
    pub body: Vec<Stmt>,
    /// The `{% block %}`s defined anywhere in the template, by name.
    pub blocks: Vec<Rc<BlockDef>>,
}

pub struct Stmt {
    pub kind: StmtKind,
    pub line: usize,
}

pub enum StmtKind {
    Output(Vec<Output>),
    If(Vec<(Expr, Vec<Stmt>)>, Vec<Stmt>),
    For(Rc<ForLoop>),
    Set(Target, Expr),
    SetBlock(Target, Vec<FilterCall>, Vec<Stmt>),
    Macro(Rc<MacroDef>),
    CallBlock(Rc<MacroDef>, Expr),
    FilterBlock(Vec<FilterCall>, Vec<Stmt>),
    With(Vec<(Target, Expr)>, Vec<Stmt>),
    Autoescape(Expr, Vec<Stmt>),
    Block(Rc<BlockDef>),
    Extends(Expr),
    Include(Include),
    Import(Import),
    Do(Expr),
}

pub enum Output {
    Data(String),
    Expr(Expr, usize),
}

pub struct ForLoop {
    pub target: Target,
    pub iter: Expr,
    pub filter: Option<Expr>,
    pub recursive: bool,
    pub body: Vec<Stmt>,
    pub else_body: Vec<Stmt>,
}

pub struct MacroDef {
    pub name: Rc<str>,
    pub params: Vec<(Rc<str>, Option<Expr>)>,
    pub body: Vec<Stmt>,
    /// Whether the body names `varargs`, `kwargs` or `caller`: such a macro takes extra
    /// positional arguments, extra keyword arguments or a call block.
    pub catch_varargs: bool,
    pub catch_kwargs: bool,
    pub caller: bool,
}

pub struct BlockDef {
    pub name: Rc<str>,
    pub scoped: bool,
    pub required: bool,
    pub body: Vec<Stmt>,
}

pub struct Include {
    pub template: Expr,
    pub ignore_missing: bool,
    pub with_context: bool,
}

pub struct Import {
    pub template: Expr,
    /// `import … as name`, or the names of `from … import a, b as c`.
    pub names: ImportNames,
    pub with_context: bool,
}

pub enum ImportNames {
    Module(Rc<str>),
    Names(Vec<(Rc<str>, Rc<str>)>),
}

pub enum Target {
    Name(Rc<str>),
    Tuple(Vec<Target>),
    /// `ns.attr`: an attribute of a namespace.
    Attr,
}

pub struct FilterCall {
    pub name: Rc<str>,
    pub args: CallArgs,
    pub line: usize,
}

#[derive(Default)]
pub struct CallArgs {
    pub positional: Vec<Expr>,
    pub keywords: Vec<(Rc<str>, Expr)>,
    pub star: Option<Box<Expr>>,
    pub star_star: Option<Box<Expr>>,
}

pub struct Expr {
    pub kind: ExprKind,
    pub line: usize,
    /// The levels of nodes from this one down to its deepest leaf, 1 for a leaf.
    pub depth: usize,
}

impl Expr {
    pub fn new(kind: ExprKind, line: usize) -> Expr {
        let depth = 1 + kind.children_depth();
        Expr { kind, line, depth }
    }
}

impl ExprKind {
    /// The depth of the deepest expression this one holds.
    fn children_depth(&self) -> usize {
        fn of<'a>(exprs: impl IntoIterator<Item = &'a Expr>) -> usize {
            exprs.into_iter().map(|e| e.depth).max().unwrap_or(0)
        }
        fn of_args(args: &CallArgs) -> usize {
            of(args
                .positional
                .iter()
                .chain(args.keywords.iter().map(|(_, e)| e))
                .chain(args.star.as_deref())
                .chain(args.star_star.as_deref()))
        }
        match self {
            ExprKind::Const(_) | ExprKind::Name(_) => 0,
            ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Concat(items) => of(items),
            ExprKind::Dict(pairs) => of(pairs.iter().flat_map(|(k, v)| [k, v])),
            ExprKind::GetAttr(value, _)
            | ExprKind::Neg(value)
            | ExprKind::Pos(value)
            | ExprKind::Not(value) => value.depth,
            ExprKind::GetItem(left, right)
            | ExprKind::Binary(_, left, right)
            | ExprKind::And(left, right)
            | ExprKind::Or(left, right) => left.depth.max(right.depth),
            ExprKind::Slice(start, stop, step) => {
                of([start, stop, step].into_iter().flatten().map(|e| &**e))
            }
            ExprKind::Call(callee, args) => callee.depth.max(of_args(args)),
            ExprKind::Filter(value, call) | ExprKind::Test(value, call) => {
                value.depth.max(of_args(&call.args))
            }
            ExprKind::Compare(first, rest) => first.depth.max(of(rest.iter().map(|(_, e)| e))),
            ExprKind::Cond(test, then, otherwise) => {
                test.depth.max(then.depth).max(of(otherwise.as_deref()))
            }
        }
    }
}

pub enum ExprKind {
    Const(Value),
    Name(Rc<str>),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    GetAttr(Box<Expr>, Rc<str>),
    GetItem(Box<Expr>, Box<Expr>),
    Slice(Option<Box<Expr>>, Option<Box<Expr>>, Option<Box<Expr>>),
    Call(Box<Expr>, CallArgs),
    Filter(Box<Expr>, FilterCall),
    Test(Box<Expr>, FilterCall),
    Neg(Box<Expr>),
    Pos(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Concat(Vec<Expr>),
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    NotIn,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "** or pow()",
        }
    }
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
        }
    }
}
