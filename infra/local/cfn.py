"""Reads template.yaml (CloudFormation short tags included) and resolves the references
the local stack needs. The template is the single source of truth for local resources."""

from __future__ import annotations

import yaml


class _Loader(yaml.SafeLoader):
    pass


def _tag(name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        key = "Ref" if name == "Ref" else f"Fn::{name}"
        return {key: value}

    return construct


for _name in ["Ref", "GetAtt", "Sub", "If", "Equals", "Join", "Select", "Split", "Not", "And", "Or",
              "FindInMap", "ImportValue", "GetAZs", "Base64", "Cidr", "Condition"]:
    _Loader.add_constructor(f"!{_name}", _tag(_name))


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_Loader)


ACCOUNT = "123456789012"
REGION = "us-east-1"


class Resolver:
    """Resolves Ref / GetAtt / Sub / If against local physical resources."""

    def __init__(self, template: dict, stack: str, parameters: dict[str, str]):
        self.template = template
        self.stack = stack
        self.params = {}
        for name, spec in (template.get("Parameters") or {}).items():
            self.params[name] = parameters.get(name, spec.get("Default"))
        self.refs: dict[str, str] = {}
        self.attrs: dict[tuple[str, str], str] = {}

    def resources(self, type_: str | None = None):
        for logical, res in (self.template.get("Resources") or {}).items():
            if type_ is None or res.get("Type") == type_:
                yield logical, res

    def condition(self, name: str) -> bool:
        return bool(self.value(self.template["Conditions"][name]))

    def value(self, v):
        if isinstance(v, dict) and len(v) == 1:
            (k, arg), = v.items()
            if k == "Ref":
                if arg in self.params:
                    return self.params[arg]
                if arg == "AWS::StackName":
                    return self.stack
                if arg == "AWS::Region":
                    return REGION
                if arg == "AWS::AccountId":
                    return ACCOUNT
                if arg in self.refs:
                    return self.refs[arg]
                raise KeyError(f"unresolved !Ref {arg}")
            if k == "Fn::GetAtt":
                return self.attrs[(arg[0], arg[1])]
            if k == "Fn::Equals":
                return self.value(arg[0]) == self.value(arg[1])
            if k == "Fn::If":
                return self.value(arg[1] if self.condition(arg[0]) else arg[2])
            if k == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                import re

                def sub(m):
                    name = m.group(1)
                    if "." in name:
                        logical, attr = name.split(".", 1)
                        return self.attrs[(logical, attr)]
                    return str(self.value({"Ref": name}))

                return re.sub(r"\$\{([^}!]+)\}", sub, text)
            if k == "Fn::Join":
                return arg[0].join(str(self.value(x)) for x in arg[1])
        if isinstance(v, dict):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.value(x) for x in v]
        return v

    def physical_name(self, logical: str) -> str:
        return f"{self.stack}-{logical}".lower()


def http_routes(template: dict) -> list[tuple[str, str, str]]:
    """(method, path, function logical id) for every HttpApi event; $default as ('ANY', '$default')."""
    routes = []
    for logical, res in (template.get("Resources") or {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (res["Properties"].get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                props = event.get("Properties") or {}
                routes.append((props.get("Method", "ANY").upper(), props.get("Path", "$default"), logical))
    return routes
