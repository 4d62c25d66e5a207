import Glibc
import Synchronization

/// A fixed pool of worker threads that run `parallelFor` loops; the calling thread works too.
///
/// Threads are created once and sleep on a condition variable between loops, so an inference
/// pays no thread start-up. Not reentrant: one loop at a time.
final class ThreadPool: @unchecked Sendable {
    /// Workers including the caller.
    let threadCount: Int
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var done = pthread_cond_t()
    private var generation = 0
    private var shuttingDown = false
    private var job: ((Int, Int) -> Void)?
    private var taskCount = 0
    private let nextTask = Atomic<Int>(0)
    private var activeWorkers = 0
    private var workers: [pthread_t] = []

    init(threads: Int) {
        threadCount = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        pthread_cond_init(&done, nil)
        for worker in 1..<threadCount {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, index: worker)).toOpaque()
            var thread = pthread_t()
            pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.workerLoop(index: context.index)
                return nil
            }, context)
            workers.append(thread)
        }
    }

    deinit {
        pthread_mutex_lock(&mutex)
        shuttingDown = true
        pthread_cond_broadcast(&wake)
        pthread_mutex_unlock(&mutex)
        for thread in workers { pthread_join(thread, nil) }
        pthread_cond_destroy(&wake)
        pthread_cond_destroy(&done)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs `body(task, worker)` for every task in 0..<count, spread over the pool's threads.
    /// `worker` (0..<threadCount) indexes per-thread scratch memory.
    func parallelFor(_ count: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        if count == 0 { return }
        if threadCount == 1 || count == 1 {
            for task in 0..<count { body(task, 0) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            pthread_mutex_lock(&mutex)
            job = escaping
            taskCount = count
            nextTask.store(0, ordering: .relaxed)
            activeWorkers = threadCount - 1
            generation += 1
            pthread_cond_broadcast(&wake)
            pthread_mutex_unlock(&mutex)
            runTasks(escaping, count: count, worker: 0)
            pthread_mutex_lock(&mutex)
            while activeWorkers > 0 { pthread_cond_wait(&done, &mutex) }
            job = nil
            pthread_mutex_unlock(&mutex)
        }
    }

    private func runTasks(_ body: (Int, Int) -> Void, count: Int, worker: Int) {
        while true {
            let task = nextTask.wrappingAdd(1, ordering: .relaxed).oldValue
            if task >= count { return }
            body(task, worker)
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        pthread_mutex_lock(&mutex)
        while true {
            while generation == seen && !shuttingDown { pthread_cond_wait(&wake, &mutex) }
            if shuttingDown { break }
            seen = generation
            let body = job!, count = taskCount
            pthread_mutex_unlock(&mutex)
            runTasks(body, count: count, worker: index)
            pthread_mutex_lock(&mutex)
            activeWorkers -= 1
            if activeWorkers == 0 { pthread_cond_signal(&done) }
        }
        pthread_mutex_unlock(&mutex)
    }
}

private final class WorkerContext {
    let pool: ThreadPool
    let index: Int
    init(pool: ThreadPool, index: Int) {
        self.pool = pool
        self.index = index
    }
}
