import Glibc
import _RadLensCPU
import Synchronization

/// A fixed pool of worker threads that run `parallelFor` loops; the calling thread works too.
///
/// Threads are created once. Between loops a worker spins briefly on an atomic generation
/// counter before sleeping on a condition variable: consecutive layers of one inference follow
/// each other within microseconds, and a condition-variable wake-up per layer would cost more
/// than a small layer's work. A loop is published without the mutex; the mutex and condition
/// variable are touched only when a worker has gone to sleep. A worker that has not joined a
/// loop by the time the caller has taken its last task is closed out of it, so the caller never
/// waits for a thread that is not running (a descheduled worker, or one still waking up).
/// Not reentrant: one loop at a time.
final class ThreadPool: @unchecked Sendable {
    /// Workers including the caller.
    let threadCount: Int
    /// How many of the threads (the caller first) take part in loops from now on, at most
    /// `threadCount`: fewer while another thread of the process has a core busy.
    var participants: Int {
        get { participating }
        set { participating = min(max(1, newValue), threadCount) }
    }
    private var participating: Int
    /// `participating` when the current loop was published: workers read it once they see it.
    private let loopThreads = Atomic<Int>(0)
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var generation = 0
    private var shuttingDown = false
    private var job: ((Int, Int) -> Void)?
    /// Per thread: the next task of its share of the current loop (the share ends at
    /// `shareEnds`), and whether it sleeps on `wake`.
    private let slots: [WorkerSlot]
    private var shareEnds: [Int]
    /// The generation last published, readable without the mutex.
    private let published = Atomic<Int>(0)
    /// The current loop's generation (its low 32 bits, in the high half), whether it is closed
    /// to late workers (`closedFlag`), and how many workers have joined it and not yet left.
    private let membership = Atomic<Int>(0)
    private static let closedFlag = 1 << 31
    private static let memberMask = closedFlag - 1
    private static let generationMask = ~(closedFlag | memberMask)
    private static func generationBits(_ generation: Int) -> Int { (generation & 0xFFFF_FFFF) << 32 }
    private var workers: [pthread_t] = []
    /// Polls of `published` before a worker goes to sleep, each after a spin-wait hint: about
    /// 0.25 ms on this Zen 4 (25 ns per PAUSE), longer than the serial steps between a network's
    /// parallel layers. When workers fell asleep inside a run (polls of about 12 µs in all), the
    /// shipped model at 2 threads, batch 1 varied between 290 and 390 images/s.
    private static let spinLimit = 10_000

    init(threads: Int) {
        threadCount = max(1, threads)
        participating = threadCount
        slots = (0..<threadCount).map { _ in WorkerSlot() }
        shareEnds = Array(repeating: 0, count: threadCount)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
    }

    /// Worker threads started so far (the caller is not one).
    var startedWorkers: Int { workers.count }

    /// Starts the workers a loop on `threads` threads needs and that are not running yet. A
    /// worker starts with the first loop that uses it: a cold start that classifies one image
    /// on fewer threads than the pool has (see `participants`) starts no thread it does not use.
    private func startWorkers(upTo threads: Int) {
        while workers.count + 1 < threads {
            let index = workers.count + 1
            let context = Unmanaged.passRetained(WorkerContext(pool: self, index: index)).toOpaque()
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
        generation += 1
        published.store(generation, ordering: .releasing)
        pthread_cond_broadcast(&wake)
        pthread_mutex_unlock(&mutex)
        for thread in workers { pthread_join(thread, nil) }
        pthread_cond_destroy(&wake)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs `body(task, worker)` for every task in 0..<count, spread over the pool's threads.
    /// `worker` (0..<threadCount) indexes per-thread scratch memory.
    func parallelFor(_ count: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        if count == 0 { return }
        let threads = participating
        if threads == 1 || count == 1 {
            for task in 0..<count { body(task, 0) }
            return
        }
        startWorkers(upTo: threads)
        withoutActuallyEscaping(body) { escaping in
            // Workers read these only after they see the new generation, and the previous loop's
            // joined workers are all done, so plain stores are safe here.
            job = escaping
            loopThreads.store(threads, ordering: .relaxed)
            for worker in 0..<threads {
                slots[worker].next.store(worker * count / threads, ordering: .relaxed)
                shareEnds[worker] = (worker + 1) * count / threads
            }
            generation += 1
            membership.store(Self.generationBits(generation), ordering: .relaxed)
            published.store(generation, ordering: .sequentiallyConsistent)
            // A worker marks itself asleep before it checks `published` for the last time, so
            // either it sees the new generation or this sees it and wakes it. Workers that take
            // no part in this loop are left asleep.
            if (1..<threads).contains(where: { slots[$0].asleep.load(ordering: .sequentiallyConsistent) }) {
                // Taking and releasing the mutex orders this after a sleeper's last look at
                // `published`; waking after the release spares a woken worker that preempts
                // this thread from blocking at once on the mutex this thread still held.
                pthread_mutex_lock(&mutex)
                pthread_mutex_unlock(&mutex)
                pthread_cond_broadcast(&wake)
            }
            runTasks(escaping, worker: 0)
            // Every task is taken. Close the loop to workers that have not joined it yet, then
            // wait for those that did: they finish within a task's time.
            var members = membership.bitwiseOr(Self.closedFlag, ordering: .acquiringAndReleasing).oldValue
            var spins = 0
            while members & Self.memberMask > 0 {
                spins += 1
                if spins > Self.spinLimit { sched_yield() } else { rl_cpu_spin_pause() }
                members = membership.load(ordering: .acquiring)
            }
            job = nil
        }
    }

    /// Runs the published job's tasks; the closure is released when this returns.
    @inline(never)
    private func runCurrentJob(worker: Int) {
        runTasks(job!, worker: worker)
    }

    /// Runs the worker's own contiguous share of the tasks first, then takes what is left of
    /// the others' shares. Consecutive layers split the same way give each thread the same
    /// rows, which are still in its own cache (the small CNN at 2 threads: +5%); taking from
    /// the others keeps a thread that the machine slowed down from holding up the loop.
    private func runTasks(_ body: (Int, Int) -> Void, worker: Int) {
        let threads = loopThreads.load(ordering: .relaxed)
        for offset in 0..<threads {
            let share = (worker + offset) % threads, end = shareEnds[share]
            while true {
                let task = slots[share].next.wrappingAdd(1, ordering: .relaxed).oldValue
                if task >= end { break }
                body(task, worker)
            }
        }
    }

    /// Counts the worker into loop `generation` unless the caller has closed it, has already
    /// published a later one (the worker then runs that one on its next look), or runs it on
    /// fewer threads than this worker's index.
    private func join(generation: Int, worker: Int) -> Bool {
        var members = membership.load(ordering: .relaxed)
        if worker >= loopThreads.load(ordering: .relaxed) { return false }
        while members & Self.generationMask == Self.generationBits(generation) && members & Self.closedFlag == 0 {
            let (exchanged, current) = membership.compareExchange(
                expected: members, desired: members + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            members = current
        }
        return false
    }

    private func workerLoop(index: Int) {
        var seen = 0
        // A worker starts as its first loop is published (`startWorkers`), so it polls for it
        // rather than going to sleep first.
        var pollsBeforeSleep = Self.spinLimit
        while true {
            var spins = 0
            while published.load(ordering: .acquiring) == seen && spins < pollsBeforeSleep {
                rl_cpu_spin_pause()
                spins += 1
            }
            if published.load(ordering: .acquiring) == seen {
                pthread_mutex_lock(&mutex)
                slots[index].asleep.store(true, ordering: .sequentiallyConsistent)
                while published.load(ordering: .sequentiallyConsistent) == seen && !shuttingDown {
                    pthread_cond_wait(&wake, &mutex)
                }
                slots[index].asleep.store(false, ordering: .relaxed)
                pthread_mutex_unlock(&mutex)
            }
            if shuttingDown { return }
            seen = published.load(ordering: .acquiring)
            if join(generation: seen, worker: index) {
                runCurrentJob(worker: index)
                // The job's closure is released by now: the caller may leave
                // withoutActuallyEscaping.
                membership.subtract(1, ordering: .releasing)
                pollsBeforeSleep = Self.spinLimit
            }
        }
    }
}

private final class WorkerSlot {
    let next = Atomic<Int>(0)
    let asleep = Atomic<Bool>(false)
}

private final class WorkerContext {
    let pool: ThreadPool
    let index: Int
    init(pool: ThreadPool, index: Int) {
        self.pool = pool
        self.index = index
    }
}
