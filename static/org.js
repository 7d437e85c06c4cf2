// Departments and category trees as the page needs them, cached for the session.

import { api, me, path } from './core.js';

let departmentCache = null;

/** The caller's company, as GET /api/character says (none for the super admin). */
export function entityName() {
  return me.entity || '';
}

export function forgetOrg() {
  departmentCache = null;
}

/** The caller's own department (asset manager, staff), as GET /api/character says. */
export function ownDepartment() {
  return me.department || '';
}

/**
 * Departments the caller works with, as [{name, parent, users, assets}] in tree order: the
 * whole entity for a system admin, the own subtree for an asset manager (GET /api/character
 * names them; the department list adds the counts).
 */
export async function departments(refresh) {
  if (departmentCache && !refresh) return departmentCache;
  const entity = entityName();
  let list = [];
  if (entity && (me.character === 2 || me.character === 3)) {
    list = (await api('GET', path('all_departments', entity))).data;
    if (me.character === 2) list = subtree(list, ownDepartment());
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
