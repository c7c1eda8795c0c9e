/**
 * The function an ES module exports, found in its syntax tree without running the module: the
 * client of a run cannot load an ES module synchronously (Node 20 has no require() of ESM), and
 * the constructor must know the function's parameters. CommonJS modules are simply required.
 */
import { isFunctionNode, type AstNode } from './function-source';

/** The function node of `exportName` in `program`, or undefined when it is not declared there. */
export function findExportedFunction(program: AstNode, exportName: string): AstNode | undefined {
  const body = program.body as AstNode[];
  for (const statement of body) {
    if (statement.type === 'ExportDefaultDeclaration' && exportName === 'default') {
      const declaration = statement.declaration as AstNode;
      return declaration.type === 'Identifier' ? localFunction(body, declaration.name as string) : isFunctionNode(declaration) ? declaration : undefined;
    }
    if (statement.type !== 'ExportNamedDeclaration') continue;
    const declaration = statement.declaration as AstNode | null;
    if (declaration) {
      const found = functionDeclaredAs(declaration, exportName);
      if (found) return found;
    } else if (!statement.source) {
      // `export { local as exportName }`; re-exports from other modules are not followed.
      for (const specifier of statement.specifiers as AstNode[]) {
        if (exportedName(specifier) === exportName) return localFunction(body, (specifier.local as AstNode).name as string);
      }
    }
  }
  return undefined;
}

function exportedName(specifier: AstNode): string {
  const exported = specifier.exported as AstNode;
  return (exported.name ?? exported.value) as string;
}

/** A top-level function declaration, or a const/let/var initialized with a function, named `name`. */
function localFunction(body: AstNode[], name: string): AstNode | undefined {
  for (const statement of body) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? (statement.declaration as AstNode | null) : statement;
    const found = declaration && functionDeclaredAs(declaration, name);
    if (found) return found;
  }
  return undefined;
}

function functionDeclaredAs(declaration: AstNode, name: string): AstNode | undefined {
  if (declaration.type === 'FunctionDeclaration') return (declaration.id as AstNode | null)?.name === name ? declaration : undefined;
  if (declaration.type !== 'VariableDeclaration') return undefined;
  for (const declarator of declaration.declarations as AstNode[]) {
    const id = declarator.id as AstNode;
    const init = declarator.init as AstNode | null;
    if (id.type === 'Identifier' && id.name === name && isFunctionNode(init)) return init;
  }
  return undefined;
}
