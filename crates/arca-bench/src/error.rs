//! The bench's one error type.

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("HTTP {context}: {message}")]
    Http { context: String, message: String },
    #[error("{method} {path} on {target} answered {status}: {body}")]
    Status {
        target: String,
        method: String,
        path: String,
        status: u16,
        body: String,
    },
    #[error("{0} was not found on PATH. {1}")]
    MissingTool(&'static str, &'static str),
    #[error("{0}")]
    Setup(String),
    #[error("wrk output: {0}")]
    WrkOutput(String),
}

impl BenchError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        BenchError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn setup(message: impl Into<String>) -> Self {
        BenchError::Setup(message.into())
    }
}

pub type Result<T> = std::result::Result<T, BenchError>;
