//! Downloads reading a task's stored results, and removals of them, kept apart: a download
//! streams its rows a chunk at a time, so rows deleted under it (`DELETE …/{id}`, retention
//! pruning) would end it early in a document that looks complete. A removal first closes the
//! task to new downloads, then waits for the running ones to end; a download of a task being
//! removed is refused.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a removal waits for downloads of the task's results to end.
const REMOVAL_WAITS_FOR_DOWNLOADS: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Entry {
    reading: usize,
    removing: bool,
}

#[derive(Default)]
pub struct Readers {
    tasks: Mutex<HashMap<i64, Entry>>,
    changed: Condvar,
}

/// A running download of a task's results; ends on drop.
pub struct Reading {
    readers: Arc<Readers>,
    task: i64,
}

/// A task closed to downloads while its results are removed; reopened on drop.
pub struct Removing {
    readers: Arc<Readers>,
    task: i64,
}

impl Readers {
    fn tasks(&self) -> MutexGuard<'_, HashMap<i64, Entry>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a download of `task`'s results; refused while they are being removed.
    pub fn read(self: &Arc<Self>, task: i64) -> Result<Reading> {
        let mut tasks = self.tasks();
        let entry = tasks.entry(task).or_default();
        if entry.removing {
            return Err(Error::Busy("该任务的数据正在删除，请稍后再试"));
        }
        entry.reading += 1;
        Ok(Reading {
            readers: self.clone(),
            task,
        })
    }

    /// Closes `task` to new downloads and waits up to `wait` for the running ones to end.
    /// Blocks: call it off Rocket's async threads.
    pub fn remove(self: &Arc<Self>, task: i64, wait: Duration) -> Result<Removing> {
        let deadline = Instant::now() + wait;
        let mut tasks = self.tasks();
        if tasks.get(&task).is_some_and(|e| e.removing) {
            return Err(Error::Busy("该任务的数据正在删除，请稍后再试"));
        }
        tasks.entry(task).or_default().removing = true;
        loop {
            if tasks.get(&task).map_or(0, |e| e.reading) == 0 {
                return Ok(Removing {
                    readers: self.clone(),
                    task,
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let entry = tasks.entry(task).or_default();
                entry.removing = false;
                self.forget_if_idle(&mut tasks, task);
                return Err(Error::Busy("该任务的结果正在下载，请在下载结束后再删除"));
            }
            tasks = self
                .changed
                .wait_timeout(tasks, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// `remove` with the wait every removal of a task's results through the API takes: a
    /// deletion of its data, a drop or re-run of its failed rows.
    pub fn remove_waiting(self: &Arc<Self>, task: i64) -> Result<Removing> {
        self.remove(task, REMOVAL_WAITS_FOR_DOWNLOADS)
    }

    /// `remove` without waiting: None while the task's results are being downloaded.
    pub fn try_remove(self: &Arc<Self>, task: i64) -> Option<Removing> {
        self.remove(task, Duration::ZERO).ok()
    }

    fn forget_if_idle(&self, tasks: &mut HashMap<i64, Entry>, task: i64) {
        if tasks
            .get(&task)
            .is_some_and(|e| e.reading == 0 && !e.removing)
        {
            tasks.remove(&task);
        }
        self.changed.notify_all();
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.tasks().len()
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        let mut tasks = self.readers.tasks();
        if let Some(entry) = tasks.get_mut(&self.task) {
            entry.reading -= 1;
        }
        self.readers.forget_if_idle(&mut tasks, self.task);
    }
}

impl Drop for Removing {
    fn drop(&mut self) {
        let mut tasks = self.readers.tasks();
        if let Some(entry) = tasks.get_mut(&self.task) {
            entry.removing = false;
        }
        self.readers.forget_if_idle(&mut tasks, self.task);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removal_waits_for_running_downloads_and_refuses_new_ones() {
        let readers = Arc::new(Readers::default());
        let reading = readers.read(7).unwrap();
        // Busy while the download runs; nothing stays closed after the refusal.
        assert!(matches!(
            readers.remove(7, Duration::from_millis(20)),
            Err(Error::Busy(_))
        ));
        assert!(readers.try_remove(7).is_none());
        let second = readers.read(7).unwrap();
        // Other tasks are not affected.
        drop(readers.try_remove(8).unwrap());
        let remover = {
            let readers = readers.clone();
            std::thread::spawn(move || readers.remove(7, Duration::from_secs(30)).map(|_| ()))
        };
        // While the removal waits, a new download of the task is refused.
        let deadline = Instant::now() + Duration::from_secs(10);
        while readers.read(7).is_ok() {
            assert!(
                Instant::now() < deadline,
                "the removal never closed the task"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(reading);
        drop(second);
        assert!(remover.join().unwrap().is_ok());
        assert_eq!(readers.tracked(), 0);
        let _again = readers.read(7).unwrap();
    }
}
