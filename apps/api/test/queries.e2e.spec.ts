// The query API end to end: commands through the command API, the command
// processor and the projector in process, queries over HTTP against the
// read model (PostgreSQL + Redis) on the real services.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectProblem } from './api.harness.js';
import { queriesFixture, type Caller, type QueriesFixture } from './queries/queries.fixture.js';

const REPRESENTATION_FIELDS = [
  'taskId',
  'userId',
  'taskTitle',
  'taskDescription',
  'taskStatus',
  'dueDate',
  'warningOffset',
  'category',
  'tags',
  'createdAt',
  'updatedAt',
  'completedAt',
  'deletedAt',
  'version',
].sort();

type Task = Record<string, unknown> & { taskId: string; taskStatus: string; dueDate: string | null };

describe('query API (REST)', () => {
  let fx: QueriesFixture;
  let admin: Caller;

  beforeAll(async () => {
    fx = await queriesFixture();
    await fx.startProjector();
    admin = await fx.as('root', ['admin']);
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
  }, 60_000);

  /** Creates the tasks, then waits until the read model has every one of them. */
  async function createAll(caller: Caller, bodies: Record<string, unknown>[]): Promise<Task[]> {
    const created = [];
    for (const body of bodies) created.push(await fx.createTask(caller, body));
    for (const { token } of created) await fx.settled(caller, token);
    return created.map((c) => c.task as Task);
  }

  const tasksOf = async (caller: Caller, query = '') => {
    const response = await caller('GET', `/tasks${query}`);
    expect(response.status).toBe(200);
    return response.json as { tasks: Task[]; pagination: Record<string, number>; links: Record<string, string | null> };
  };

  it("hides another user's task on every endpoint, lists and statistics; admin sees all and filters by userId", async () => {
    const alice = await fx.as('alice-own');
    const bob = await fx.as('bob-own');
    const aliceTasks = await createAll(alice, [{ taskTitle: 'A1' }, { taskTitle: 'A2' }, { taskTitle: 'A3' }]);
    await createAll(bob, [{ taskTitle: 'B1' }, { taskTitle: 'B2' }]);
    const id = aliceTasks[0]!.taskId;
    for (const path of [`/tasks/${id}`, `/tasks/${id}/history`, `/tasks/${id}?asOf=${new Date().toISOString()}`]) {
      expectProblem(await bob('GET', path), 404, 'TASK.NOT_FOUND');
    }
    const bobs = await tasksOf(bob);
    expect(bobs.tasks.map((t) => t.taskTitle).sort()).toEqual(['B1', 'B2']);
    expect(bobs.pagination).toMatchObject({ total: 2 });
    expect((await bob('GET', '/tasks/stats')).json).toMatchObject({ userId: 'bob-own', total: 2 });
    expectProblem(await bob('GET', '/tasks?userId=alice-own'), 403, 'AUTH.FORBIDDEN');
    expectProblem(await bob('GET', '/tasks/stats?userId=alice-own'), 403, 'AUTH.FORBIDDEN');

    expect((await admin('GET', `/tasks/${id}`)).status).toBe(200);
    expect((await admin('GET', `/tasks/${id}/history`)).status).toBe(200);
    const all = await tasksOf(admin, '?limit=100');
    expect(all.tasks.map((t) => t.taskTitle)).toEqual(expect.arrayContaining(['A1', 'A2', 'A3', 'B1', 'B2']));
    const alices = await tasksOf(admin, '?userId=alice-own');
    expect(alices.tasks.map((t) => t.taskTitle).sort()).toEqual(['A1', 'A2', 'A3']);
    expect((await admin('GET', '/tasks/stats?userId=alice-own')).json).toMatchObject({ total: 3 });
  });

  it("serves the reference client's flows: field names, ?updatedSince, and the dashboard figures", async () => {
    const client = await fx.as('client-1');
    const past = new Date(Date.now() - 86_400_000).toISOString();
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const tasks = await createAll(client, [
      { taskTitle: 'Overdue', dueDate: past },
      { taskTitle: 'Overdue but done', dueDate: past, taskStatus: 'COMPLETED' },
      { taskTitle: 'Working', taskStatus: 'IN_PROGRESS', dueDate: future },
      { taskTitle: 'No due date' },
      { taskTitle: 'Blocked late', taskStatus: 'BLOCKED', dueDate: past },
    ]);
    const listed = await tasksOf(client);
    expect(listed.tasks).toHaveLength(5);
    for (const t of listed.tasks) expect(Object.keys(t).sort()).toEqual(REPRESENTATION_FIELDS);

    // The BFF's dashboard computed from GET /tasks (a task without a due date is never overdue).
    const now = new Date();
    const metrics = {
      total: listed.tasks.length,
      completed: listed.tasks.filter((t) => t.taskStatus === 'COMPLETED').length,
      inProgress: listed.tasks.filter((t) => t.taskStatus === 'IN_PROGRESS').length,
      overdue: listed.tasks.filter(
        (t) => t.dueDate !== null && new Date(t.dueDate) < now && t.taskStatus !== 'COMPLETED',
      ).length,
    };
    expect(metrics).toEqual({ total: 5, completed: 1, inProgress: 1, overdue: 2 });
    expect((await client('GET', '/tasks/stats')).json).toMatchObject(metrics);

    // The CRM sync: only what changed since the last sync.
    const lastSync = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const patched = await client('PATCH', `/tasks/${tasks[3]!.taskId}`, { body: { taskStatus: 'IN_PROGRESS' } });
    expect(patched.status).toBe(200);
    await fx.settled(client, patched.headers.get('x-consistency-token')!);
    const changed = await tasksOf(client, `?updatedSince=${lastSync}`);
    expect(changed.tasks.map((t) => t.taskTitle)).toEqual(['No due date']);
    expect((await client('GET', '/tasks/stats')).json).toMatchObject({ inProgress: 2 });
  });

  it('filters, searches, sorts and pages with totals and links; a limit over 100 is a 400', async () => {
    const user = await fx.as('lister');
    const bodies = Array.from({ length: 23 }, (_, i) => ({
      taskTitle: `${i % 2 === 0 ? 'Quarterly report' : 'Team meeting'} ${String(i).padStart(2, '0')}`,
      taskDescription: i === 7 ? 'Prepare the budget spreadsheet' : '',
      category: i % 3 === 0 ? 'work' : 'home',
      tags: i % 4 === 0 ? ['urgent', 'q3'] : ['q3'],
      dueDate: new Date(Date.UTC(2030, 0, 1 + i)).toISOString(),
      taskStatus: i < 5 ? 'IN_PROGRESS' : 'NOT_STARTED',
    }));
    await createAll(user, bodies);
    const titles = (page: { tasks: Task[] }) => page.tasks.map((t) => t.taskTitle as string);

    const first = await tasksOf(user, '?sort=taskTitle&order=asc&limit=10');
    expect(first.pagination).toEqual({ page: 1, limit: 10, total: 23, pages: 3 });
    expect(titles(first)).toEqual([...titles(first)].sort());
    expect(first.links.prev).toBeNull();
    expect(first.links.next).toContain('page=2');
    const third = await tasksOf(user, first.links.next!.replace('/api/v1/tasks', '').replace('page=2', 'page=3'));
    expect(third.tasks).toHaveLength(3);
    expect(third.links.next).toBeNull();
    expect(third.links.prev).toContain('page=2');
    // Past the last page: no tasks, and still the count of every match.
    const past = await tasksOf(user, '?sort=taskTitle&order=asc&limit=10&page=5');
    expect(past.tasks).toEqual([]);
    expect(past.pagination).toMatchObject({ page: 5, total: 23, pages: 3 });
    expect((await tasksOf(user, '?search=nothingmatchesthis')).pagination['total']).toBe(0);

    expect((await tasksOf(user, '?taskStatus=IN_PROGRESS')).pagination['total']).toBe(5);
    expect((await tasksOf(user, '?taskStatus=IN_PROGRESS,NOT_STARTED')).pagination['total']).toBe(23);
    expect((await tasksOf(user, '?search=quart')).pagination['total']).toBe(12);
    expect(titles(await tasksOf(user, '?search=budget%20spread'))).toEqual(['Team meeting 07']);
    expect((await tasksOf(user, '?category=work')).pagination['total']).toBe(8);
    expect((await tasksOf(user, '?tag=urgent')).pagination['total']).toBe(6);
    expect((await tasksOf(user, '?tag=urgent&tag=q3')).pagination['total']).toBe(6);
    const window = await tasksOf(user, '?dueAfter=2030-01-03&dueBefore=2030-01-06T00:00:00Z&sort=dueDate&order=asc');
    expect(titles(window)).toEqual(['Quarterly report 02', 'Team meeting 03', 'Quarterly report 04']);

    expectProblem(await user('GET', '/tasks?limit=101'), 400, 'REQUEST.VALIDATION');
    expectProblem(await user('GET', '/tasks?page=0'), 400, 'REQUEST.VALIDATION');
    expectProblem(await user('GET', '/tasks?sort=priority'), 400, 'REQUEST.VALIDATION');
    expectProblem(await user('GET', '/tasks?taskStatus=DONE'), 400, 'REQUEST.VALIDATION');
    expectProblem(await user('GET', '/tasks?dueBefore=yesterday'), 400, 'REQUEST.VALIDATION');
    expectProblem(await user('GET', '/tasks?colour=red'), 400, 'REQUEST.VALIDATION');
  });

  it('answers a task with its ETag, 304 for If-None-Match, the past with asOf, and its history', async () => {
    const user = await fx.as('reader');
    const [created] = await createAll(user, [{ taskTitle: 'Original title' }]);
    const id = created!.taskId;
    const beforeUpdate = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const patched = await user('PATCH', `/tasks/${id}`, { body: { taskTitle: 'New title' } });
    const token = patched.headers.get('x-consistency-token')!;

    const current = await user('GET', `/tasks/${id}`, { headers: { 'x-consistency-token': token } });
    expect(current.status).toBe(200);
    expect(current.headers.get('etag')).toBe('"2"');
    expect(current.json).toMatchObject({ taskId: id, taskTitle: 'New title', version: 2 });
    const notModified = await user('GET', `/tasks/${id}`, { headers: { 'if-none-match': '"2"' } });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    expect((await user('GET', `/tasks/${id}`, { headers: { 'if-none-match': 'W/"1", "7"' } })).status).toBe(200);

    const then = await user('GET', `/tasks/${id}?asOf=${beforeUpdate}`);
    expect(then.json).toMatchObject({ taskTitle: 'Original title', version: 1 });
    expectProblem(await user('GET', `/tasks/${id}?asOf=2000-01-01T00:00:00Z`), 404, 'TASK.NOT_FOUND');

    const history = await user('GET', `/tasks/${id}/history`);
    expect(history.json).toMatchObject({ taskId: id, pagination: { total: 2 } });
    const events = history.json['events'] as Record<string, unknown>[];
    expect(events.map((e) => [e['type'], e['event'], e['version']])).toEqual([
      ['TaskCreated', 'task.created', 1],
      ['TaskDetailsUpdated', 'task.updated', 2],
    ]);
    expect(events[1]).toMatchObject({
      data: { changes: { title: 'New title' } },
      position: { partition: expect.any(Number) },
    });
    expectProblem(await user('GET', `/tasks/no-such-task`), 404, 'TASK.NOT_FOUND');

    const deleted = await user('DELETE', `/tasks/${id}`);
    await fx.settled(user, deleted.headers.get('x-consistency-token')!);
    expectProblem(await user('GET', `/tasks/${id}`), 404, 'TASK.NOT_FOUND');
    expect((await tasksOf(user)).tasks.map((t) => t.taskId)).not.toContain(id);
    const withDeleted = await tasksOf(user, '?includeDeleted=true');
    expect(withDeleted.tasks.find((t) => t.taskId === id)).toMatchObject({ deletedAt: expect.any(String) });
    expect((await user('GET', `/tasks/${id}/history`)).json).toMatchObject({ pagination: { total: 3 } });
  });

  it('refuses a malformed consistency token, and answers 503 with Retry-After when the projection cannot reach it', async () => {
    const user = await fx.as('waiter');
    expectProblem(
      await user('GET', '/tasks', { headers: { 'x-consistency-token': 'soon' } }),
      400,
      'REQUEST.VALIDATION',
    );
    expectProblem(
      await user('GET', '/tasks', { headers: { 'x-consistency-token': '9:1' } }),
      400,
      'REQUEST.VALIDATION',
    );
    await fx.stopProjector();
    try {
      const { token } = await fx.createTask(user, { taskTitle: 'Not projected yet' });
      const started = Date.now();
      const waited = await user('GET', '/tasks', { headers: { 'x-consistency-token': token } });
      expectProblem(waited, 503, 'SERVICE.UNAVAILABLE');
      expect(waited.headers.get('retry-after')).toBe('1');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await fx.startProjector();
    }
  });
});
