# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixture Capacitor projects for test_native.py: small fake ``node_modules`` trees.

Each project is a dict {relative path: file content}; a dict content is written as JSON.
``EXPECTED`` holds, for each project, the ``native_packages`` that the code of ``@capgo/cli`` 8.68.1
(``getLocalDependencies`` and the checksum functions of its dist/index.js, run with Node.js in the
project directory) computes for it: the reader must give exactly these.
"""


import json
import os

CAP_BOTH = {"ios": {"src": "ios"}, "android": {"src": "android"}}


def plugin(name, version, capacitor=None, **files):
    """The files of package ``name`` under node_modules/ (``files``: path with ``__`` for ``/``)."""
    manifest = {"name": name, "version": version}
    if capacitor is not None:
        manifest["capacitor"] = capacitor
    out = {"node_modules/%s/package.json" % name: manifest}
    for key, content in files.items():
        out["node_modules/%s/%s" % (name, key.replace("__", "/"))] = content
    return out


def merge(*parts):
    out = {}
    for part in parts:
        out.update(part)
    return out


PROJECTS = {
    # two native plugins (one only for Android, as a devDependency), a plain library, a plugin that
    # declares Capacitor platforms but ships only JavaScript, a Cordova plugin (plugin.xml)
    "app": merge(
        {"package.json": {"name": "app", "dependencies": {
            "@capacitor/camera": "^6.0.0", "lodash": "~4.17.0", "@capacitor/core": "^6.1.0",
            "cordova-plugin-x": "1.0.0", "js-only-plugin": "^2.0.0"},
            "devDependencies": {"@capawesome/android-only": "0.3.1"}}},
        plugin("@capacitor/camera", "6.0.2", CAP_BOTH, **{
            "ios__Sources__CameraPlugin__CameraPlugin.swift": "import Capacitor\n",
            "ios__Sources__CameraPlugin__camera_utils.swift": "// utils\n",
            "ios__Sources__CameraPlugin__Camera.m": "// objective-c is not hashed\n",
            "ios__Package.swift": "// swift-tools-version:5.9\n",
            "CapacitorCamera.podspec": "Pod::Spec.new\n",
            "Package.swift": "// root package\n",
            "android__build.gradle": "dependencies {}\n",
            "android__src__main__java__com__capacitorjs__camera__CameraPlugin.java": "package camera;\n",
            "android__src__main__AndroidManifest.xml": "<manifest/>\n",
            "dist__plugin.js": "export {}\n"}),
        plugin("lodash", "4.17.21"),
        plugin("@capacitor/core", "6.1.2", None, **{"dist__index.js": "export {}\n"}),
        plugin("js-only-plugin", "2.0.0", {"ios": None}, **{"dist__index.js": "export {}\n"}),
        {"node_modules/cordova-plugin-x/package.json": {"name": "cordova-plugin-x", "version": "1.0.0"},
         "node_modules/cordova-plugin-x/plugin.xml": "<plugin/>\n",
         "node_modules/cordova-plugin-x/src/android/XPlugin.java": "class X {}\n"},
        plugin("@capawesome/android-only", "0.3.1", {"android": {"src": "android"}}, **{
            "android__build.gradle.kts": "plugins {}\n",
            "android__src__main__kotlin__Only.kt": "object Only\n"}),
    ),
    # file order: the CLI sorts paths with localeCompare (case and punctuation as ICU orders them)
    "order": merge(
        {"package.json": {"dependencies": {"order-plugin": "1.0.0"}}},
        plugin("order-plugin", "1.0.0", CAP_BOTH, **{
            "ios__Plugin__a.swift": "a", "ios__Plugin__A.swift": "A", "ios__Plugin__B_x.swift": "B_",
            "ios__Plugin__B-x.swift": "B-", "ios__Plugin__Bx.swift": "Bx", "ios__Plugin2__z.swift": "z",
            "ios__Plugin-2__y.swift": "y", "android__src__Z.kt": "Z", "android__src__z.scala": "z",
            "android__src___.java": "not a source: nothing before the dot"}),
    ),
    # a native file only inside the plugin's own node_modules does not make it native (the CLI
    # looks at the path after the first node_modules/ and before the next)
    "nested": merge(
        {"package.json": {"dependencies": {"nested-plugin": "1.0.0"}}},
        plugin("nested-plugin", "1.0.0", CAP_BOTH, **{
            "node_modules__inner__ios__Inner.swift": "inner"}),
    ),
    # no native code at all: an empty list (still a record)
    "web": merge(
        {"package.json": {"dependencies": {"lodash": "^4.17.0"}}},
        plugin("lodash", "4.17.21"),
    ),
    # npm/yarn workspaces: the app's dependencies are hoisted to the root's node_modules, and the
    # requested versions come from the workspace root's package.json (else: the installed version)
    "workspace": merge(
        {"package.json": {"name": "root", "private": True, "workspaces": ["apps/*"],
                          "dependencies": {"@capacitor/camera": "6.0.2"}},
         "apps/mobile/package.json": {"name": "mobile", "dependencies": {
             "@capacitor/camera": "^6.0.0", "@capacitor/haptics": "^6.0.0"}}},
        plugin("@capacitor/camera", "6.0.2", CAP_BOTH, **{
            "ios__Plugin__CameraPlugin.swift": "camera", "android__src__CameraPlugin.java": "camera"}),
        plugin("@capacitor/haptics", "6.0.1", CAP_BOTH, **{
            "ios__Plugin__HapticsPlugin.swift": "haptics", "android__src__HapticsPlugin.java": "haptics"}),
    ),
}
# the directory of each project that is read (the workspace's app is one level down)
PROJECT_DIRS = {"workspace": "apps/mobile"}

EXPECTED = {
    "app": [
        {"name": "@capacitor/camera", "version": "6.0.2", "requested_version": "^6.0.0",
         "ios_checksum": "3d58f3ba9c7dd99d3534e66977ea7cd245d50521d35f4a5898cba50aca09e27c",
         "android_checksum": "aefe4c5d54147bb7824ddcc8621aeebeca76af7a9a904b25dc1e7478466b14bf"},
        {"name": "cordova-plugin-x", "version": "1.0.0", "requested_version": "1.0.0"},
        {"name": "@capawesome/android-only", "version": "0.3.1", "requested_version": "0.3.1",
         "android_checksum": "7fd4649a413a3b645ab0782e6dbd0e3fc9c7334538628dfe43ca7b8fc01356ba"},
    ],
    "order": [
        {"name": "order-plugin", "version": "1.0.0", "requested_version": "1.0.0",
         "ios_checksum": "568b7e1fde82e7670ae5f626fd41da44ec0f13c6e3cc97bb1107a91b983df3c5",
         "android_checksum": "c445f39b786360f16a7cfe2f0dcceb431f465896c7acba6dc324dc0a2168d42a"},
    ],
    "nested": [],
    "web": [],
    "workspace": [
        {"name": "@capacitor/camera", "version": "6.0.2", "requested_version": "6.0.2",
         "ios_checksum": "cdd97bdf7c2714f86c8e99b84b07de437cdd4bc8829ce1ddb4c78d91ec763fd2",
         "android_checksum": "14e18cd004ebb44709d66d95fd114299cf6f83d1d758f3e9c0389a6b3d0659c3"},
        {"name": "@capacitor/haptics", "version": "6.0.1", "requested_version": "6.0.0",
         "ios_checksum": "6abbf10ce344615fb386ff6ed75e822ceacab5af44bfe716e246539ebf41106d",
         "android_checksum": "afbb40584d271e059e210628a945c34555ecf9702218c3884dad4643d8901bb6"},
    ],
}


def write_project(base, name):
    """Write project ``name`` under directory ``base``; the path of the directory to read."""
    for rel, content in PROJECTS[name].items():
        path = os.path.join(base, *rel.split("/"))
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, "w") as handle:
            handle.write(json.dumps(content) if isinstance(content, dict) else content)
    return os.path.join(base, *PROJECT_DIRS.get(name, ".").split("/"))
