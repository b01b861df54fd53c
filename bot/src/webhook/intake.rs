//! Group commit for webhook intake: concurrent deliveries wait for one insert of many
//! rows, so the database commits once for a burst instead of once per delivery. Each
//! sender is answered only after its row is committed.

use crate::store::Store;
use crate::store::queue::{MAX_BATCH, NewDelivery};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

type Reply = oneshot::Sender<Result<bool, String>>;

#[derive(Clone)]
pub struct Intake {
    tx: mpsc::Sender<(NewDelivery, Reply)>,
    /// KiB of memory for bodies read before their signature is checked.
    unverified: Arc<Semaphore>,
    unverified_kib: usize,
}

impl Intake {
    /// Room to read a body of `length` bytes (unknown: the largest allowed) before its
    /// signature is checked: waits while other unverified bodies hold the budget, so
    /// unsigned posts cannot take more memory than configured.
    pub async fn reserve(&self, length: Option<u64>) -> Option<OwnedSemaphorePermit> {
        let bytes = length.map_or(super::BODY_LIMIT, |l| {
            usize::try_from(l)
                .unwrap_or(usize::MAX)
                .min(super::BODY_LIMIT)
        });
        let kib = bytes.div_ceil(1024).clamp(1, self.unverified_kib.max(1));
        let kib = u32::try_from(kib).unwrap_or(u32::MAX);
        Arc::clone(&self.unverified)
            .acquire_many_owned(kib)
            .await
            .ok()
    }

    pub fn spawn(store: Store, unverified_kib: usize) -> Intake {
        let (tx, mut rx) = mpsc::channel::<(NewDelivery, Reply)>(MAX_BATCH * 4);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (rows, replies): (Vec<NewDelivery>, Vec<Reply>) = batch.into_iter().unzip();
                match store.enqueue_many(&rows, crate::store::now_ms()).await {
                    Ok(new) => {
                        for (reply, new) in replies.into_iter().zip(new) {
                            let _ = reply.send(Ok(new));
                        }
                    }
                    Err(e) => {
                        let message = e.to_string();
                        for reply in replies {
                            let _ = reply.send(Err(message.clone()));
                        }
                    }
                }
            }
        });
        Intake {
            tx,
            unverified: Arc::new(Semaphore::new(unverified_kib)),
            unverified_kib,
        }
    }

    /// Stores a delivery; true when new, false for a repeated delivery.
    pub async fn record(&self, row: NewDelivery) -> Result<bool, String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((row, reply))
            .await
            .map_err(|_| "intake stopped".to_owned())?;
        answer.await.map_err(|_| "intake stopped".to_owned())?
    }
}
