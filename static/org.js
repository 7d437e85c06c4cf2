// Departments and category trees as the page needs them, cached for the session.

import { api, me, path } from './core.js';

const ENTITY_KEY = 'assetport.entity';
let departmentCache = null;

/** The caller's entity name: from GET /api/character, else what the user told us. */
export function entityName() {
  return me.entity || me.entity_name || sessionStorage.getItem(ENTITY_KEY) || '';
}

export function rememberEntity(name) {
  sessionStorage.setItem(ENTITY_KEY, name);
  departmentCache = null;
}

export function forgetOrg() {
  departmentCache = null;
  sessionStorage.removeItem(ENTITY_KEY);
}

/** The caller's own department (asset manager), when the server says it. */
export function ownDepartment() {
  return me.department || me.department_name || '';
}

/**
 * Departments the caller works with, as [{name, parent, users, assets}] in tree order: the
 * whole entity for a system admin, the own subtree for an asset manager. Without a known
 * entity name, a manager's departments are gathered from the assets it can see.
 */
export async function departments(refresh) {
  if (departmentCache && !refresh) return departmentCache;
  let list;
  const entity = entityName();
  if (entity) {
    list = (await api('GET', path('all_departments', entity))).data;
    const own = ownDepartment();
    if (me.character === 2 && own) list = subtree(list, own);
  } else if (me.character === 2) {
    const names = new Set(ownDepartment() ? [ownDepartment()] : []);
    try {
      const answer = await api('POST', path('search_assets'), { page: 1, size: 1000 });
      for (const a of answer.data) names.add(a.departmentName);
    } catch (e) {
      // No assets yet: the tree shows what is known.
    }
    // Not cached: new assets may bring departments to light.
    return [...names].map((name) => ({ name, parent: '' }));
  } else {
    list = [];
  }
  departmentCache = list;
  return list;
}

function subtree(list, root) {
  const keep = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const d of list) {
      if (!keep.has(d.name) && keep.has(d.parent)) {
        keep.add(d.name);
        grew = true;
      }
    }
  }
  return list.filter((d) => keep.has(d.name)).map((d) => (d.name === root ? { ...d, parent: '' } : d));
}

/** Nests a department list: [{...d, children}] from the top ones down. */
export function nest(list) {
  const names = new Set(list.map((d) => d.name));
  const byParent = new Map();
  for (const d of list) {
    const p = names.has(d.parent) ? d.parent : '';
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p).push(d);
  }
  const build = (p) => (byParent.get(p) || []).map((d) => ({ ...d, children: build(d.name) }));
  return build('');
}

/** A department's category tree: {name, class, fixed, children}. */
export async function categoryTree(department) {
  return (await api('GET', path('asset_tree_root', department))).data;
}

/** Flattens a category tree to [{name, class, fixed, depth}]. */
export function flattenCategories(node, depth = 0, out = []) {
  out.push({ name: node.name, class: node.class, fixed: node.fixed, depth });
  for (const c of node.children || []) flattenCategories(c, depth + 1, out);
  return out;
}
