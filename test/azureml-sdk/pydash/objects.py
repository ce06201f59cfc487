"""pydash.objects.set_ (stand-in): sets a dotted path, creating missing dict levels."""


def set_(obj, path, value):
    parts = path if isinstance(path, (list, tuple)) else [p for p in str(path).split(".") if p != ""]
    current = obj
    for part in parts[:-1]:
        if isinstance(current, list):
            current = current[int(part)]
            continue
        nxt = current.get(part) if isinstance(current, dict) else getattr(current, part, None)
        if nxt is None:
            nxt = {}
            if isinstance(current, dict):
                current[part] = nxt
            else:
                setattr(current, part, nxt)
        current = nxt
    if parts:
        last = parts[-1]
        if isinstance(current, list):
            current[int(last)] = value
        elif isinstance(current, dict):
            current[last] = value
        else:
            setattr(current, last, value)
    return obj
