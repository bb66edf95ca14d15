"""An import-linter contract of this project: no import circle between files.

import-linter's own `acyclic_siblings` judges whole sub-packages as one node, so a package
whose pure module the models import (catalog.quality.scoring) while another of its modules
imports the models would count as a circle although no file is part of one. This contract
looks at files: every import, also one inside a function (a lazy import is a circle all the
same, only hidden), and reports each strongly connected group of files with one path round it.
Registered in pyproject.toml ([tool.importlinter] contract_types)."""

from grimp import ImportGraph
from importlinter.application import contract_utils, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class NoFileCyclesContract(Contract):
    type_name = "no_file_cycles"

    packages = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph, ignore_imports=self.ignore_imports, unmatched_alerting=AlertLevel.ERROR
        )
        modules = {
            module
            for package in self.packages
            for module in graph.find_descendants(package) | {package}
            if ".migrations" not in module
        }
        edges = {module: sorted(graph.find_modules_directly_imported_by(module) & modules) for module in modules}
        circles = [sorted(group) for group in strongly_connected(edges) if len(group) > 1]
        return ContractCheck(
            kept=not circles,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"circles": [(group, _path_round(group, edges)) for group in sorted(circles)]},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for group, path in check.metadata["circles"]:
            output.print_error(f"Import circle of {len(group)} files: {', '.join(group)}")
            output.print_error("  e.g. " + " -> ".join(path))
            output.new_line()


def strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (a deep import chain must not hit the recursion limit)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(edges[successor])))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(group)
    return groups


def _path_round(group: list[str], edges: dict[str, list[str]]) -> list[str]:
    """The shortest way from the group's first file back to itself (breadth first)."""
    start, members = group[0], set(group)
    previous, frontier = {}, [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in edges[node]:
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
                if successor in members and successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    return group
