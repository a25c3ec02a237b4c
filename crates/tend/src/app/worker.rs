//! A background task the application stops at shutdown, by name, so the
//! list of workers is easy to extend: anything with a way to stop fits.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running task and how to stop it.
pub struct Worker {
    name: &'static str,
    stop: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("name", &self.name).finish()
    }
}

impl Worker {
    /// A worker stopped by running `stop` to its end, for example
    /// `async move { runner.stop().await }`. Nothing of `stop` runs before
    /// shutdown.
    pub fn new(name: &'static str, stop: impl Future<Output = ()> + Send + 'static) -> Self {
        Worker {
            name,
            stop: Box::pin(stop),
        }
    }

    /// A task that winds down by itself once `cancel` is cancelled. Stopping
    /// cancels it and waits for the task to end, at most `grace`; a task
    /// still running then is aborted.
    pub fn task(
        name: &'static str,
        cancel: CancellationToken,
        task: JoinHandle<()>,
        grace: Duration,
    ) -> Self {
        Worker::new(name, async move {
            cancel.cancel();
            let abort = task.abort_handle();
            match tokio::time::timeout(grace, task).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(worker = name, error = %e, "worker failed"),
                Err(_) => {
                    tracing::warn!(
                        worker = name,
                        ?grace,
                        "worker did not stop in time; aborting it"
                    );
                    abort.abort();
                }
            }
        })
    }

    /// Stops the worker and waits until it has stopped.
    pub async fn stop(self) {
        tracing::debug!(worker = self.name, "stopping");
        self.stop.await;
        tracing::debug!(worker = self.name, "stopped");
    }
}
