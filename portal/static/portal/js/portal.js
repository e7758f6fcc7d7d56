/* Progressive enhancements; every page works without them.
   - Facet forms submit on change (htmx requests the list body; without JS the button does).
   - On a phone the facets fold behind a button; they stay open across list updates.
   - A keyword field (data-tags) becomes chips: Enter or a comma adds one, × removes it; the
     field itself keeps the words joined with ";" so the form posts the same either way. A
     word longer than data-tags-max, or one past data-tags-count words, stays in the entry
     with a message naming it. A tap on a button that sends the form leaves the entry without
     making a chip (the box would grow and move the button from under the finger before the
     click lands); the form adds what is left in the entry as it is sent. Shift+Tab from
     the entry reaches the last chip's × (the focus stays on the chips as they are drawn
     again).
   - A form with data-confirm asks before it is sent (withdraw, close); so does a checked
     option with data-confirm (a final rejection), and a button with its own.
   - A page drawn again after a refused POST names the page it belongs to (data-page-url
     on <body>): the address bar shows that page, so a reload or the language switch does
     not land on the POST-only address; the card with the error is scrolled into view.
   - A page drawn again after a refused form (its error summary, data-error-summary, is on
     the page) puts the focus on what to fix: the first field marked invalid, whose label
     and error are read with it, else the summary itself (an error of the whole form). When
     the address names a card (#pair-12), only that card is looked in.
   - A credit code field (data-region-field) picks the region of its registering authority
     (characters 3-8 of the code) in the region list as it is typed, while that list is empty
     or still holds an earlier pick of its own; a region the firm chose stays.
   - The language switch (a form with data-keeps-typing) draws the page again: what was typed
     in the page's other forms is kept in sessionStorage (the fields whose value differs from
     the one drawn; every field on a page drawn after a refused POST, since that page's
     address draws them empty again; never passwords, files or hidden fields other than
     keywords; a region picked from a credit code is picked again as the code comes back)
     with the address the switch goes to, and the next load of that address within a minute
     puts it back in the forms of the same index and action, before the chips are built,
     with the version the form was typed on (a colleague's save meanwhile is then shown by
     the stale check, not overwritten).
     What was kept is dropped at the next load either way. The switch goes back to the
     address shown at the time (a list's filters, pushed there by htmx, included).
   - A create form's sent token comes back with the browser's Back (see restoreSentOnce).
   - A shortlist card just swapped ignores taps for 0.7 s (a double tap undid the first).
   - A part of the page that htmx swaps while the focus is in it (a shortlist card's form)
     gets the focus back after the swap: on its error if it shows one, else on its first
     control; the focus fell to <body> and a keyboard user started again from the top. */
(function () {
  "use strict";

  function enhanceTags(input) {
    if (input.dataset.enhanced) return;
    input.dataset.enhanced = "1";
    var box = document.createElement("div");
    box.className = "tag-input form-control";
    var entry = document.createElement("input");
    entry.type = "text";
    entry.className = "border-0 flex-grow-1";
    entry.setAttribute("aria-label", input.dataset.tagsLabel || "");
    entry.id = input.id + "-entry";
    // The entry is the field now: it says what the server found wrong with the words.
    if (input.getAttribute("aria-invalid")) entry.setAttribute("aria-invalid", "true");
    var described = input.getAttribute("aria-describedby");
    if (described) entry.setAttribute("aria-describedby", described);
    var label = document.querySelector('label[for="' + input.id + '"]');
    if (label) label.setAttribute("for", entry.id);
    // Once hidden, the field's value is its attribute: keep the value drawn for comparison.
    input.dataset.tagsDrawn = input.defaultValue;
    input.type = "hidden";
    input.parentNode.insertBefore(box, input);
    box.appendChild(entry);

    function words() {
      return input.value.split(/[;；,，、\n]/).map(function (w) { return w.trim(); }).filter(Boolean);
    }
    function render() {
      Array.prototype.slice.call(box.querySelectorAll(".tag")).forEach(function (t) { t.remove(); });
      words().forEach(function (word, index) {
        var tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = word;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", (input.dataset.tagsRemove || "remove") + " " + word);
        remove.addEventListener("click", function () {
          var list = words(); list.splice(index, 1); input.value = list.join(";"); render(); entry.focus();
        });
        tag.appendChild(remove);
        box.insertBefore(tag, entry);
      });
    }
    var note = document.createElement("div");
    note.className = "invalid-feedback d-block";
    note.id = input.id + "-entry-note";
    note.setAttribute("aria-live", "polite");
    box.parentNode.insertBefore(note, box.nextSibling);
    var max = parseInt(input.dataset.tagsMax || "0", 10);
    var count = parseInt(input.dataset.tagsCount || "0", 10);
    function add() {
      // A pasted list ("储能，液冷；热管理") becomes one chip per item.
      var typed = entry.value.split(/[;；,，、\n]+/).map(function (w) { return w.trim(); }).filter(Boolean);
      if (!typed.length) { entry.value = ""; return true; }  // nothing to add: chips stay as drawn
      note.textContent = "";
      entry.removeAttribute("aria-invalid");
      var tooLong = max ? typed.filter(function (w) { return w.length > max; }) : [];
      var list = words();
      var extra = [];
      typed.forEach(function (word) {
        if (tooLong.indexOf(word) >= 0 || list.indexOf(word) >= 0) return;
        if (count && list.length >= count) extra.push(word); else list.push(word);
      });
      input.value = list.join(";");
      render();
      var kept = tooLong.concat(extra);
      if (kept.length) {
        note.textContent = tooLong.length
          ? (input.dataset.tagsTooLong || "").replace("%s", tooLong.join("、"))
          : (input.dataset.tagsTooMany || "").replace("%s", extra.join("、"));
        entry.setAttribute("aria-invalid", "true");
        entry.setAttribute("aria-describedby", note.id);
        entry.value = kept.join("；");
        return false;  // kept in the entry to be shortened or dropped
      }
      entry.value = "";
      return true;
    }
    entry.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "," || event.key === "，" || event.key === ";" || event.key === "；" || event.key === "、") {
        event.preventDefault(); add();
      } else if (event.key === "Backspace" && !entry.value && words().length) {
        var list = words(); list.pop(); input.value = list.join(";"); render();
      }
    });
    // pointerdown comes before the blur it causes, and before the click lands.
    var sending = false;
    document.addEventListener("pointerdown", function (event) {
      var button = event.target.closest && event.target.closest("button, input");
      sending = document.activeElement === entry && !!button && button.type === "submit" &&
        button.form === input.form;
    }, true);
    document.addEventListener("pointercancel", function () { sending = false; }, true);
    entry.addEventListener("blur", function (event) {
      if (sending) { sending = false; return; }
      // Shift+Tab goes to the last chip's ×, which the new chip's drawing replaces: the
      // focus follows to the same chip's new button instead of falling to <body>.
      var buttons = Array.prototype.slice.call(box.querySelectorAll(".tag button"));
      var at = buttons.indexOf(event.relatedTarget);
      add();
      if (at >= 0) {
        var again = box.querySelectorAll(".tag button")[at];
        if (again) again.focus();
      }
    });
    // What is still typed in the entry is added when the form is sent.
    if (input.form) {
      input.form.addEventListener("submit", function (event) {
        if (!add()) { event.preventDefault(); entry.focus(); }
      });
    }
    render();
  }

  function focusFirstError() {
    if (!document.querySelector("[data-error-summary]")) return;
    var scope = document;
    if (window.location.hash) {
      scope = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
      if (!scope) return;
    }
    var invalid = scope.querySelectorAll('[aria-invalid="true"]');
    for (var i = 0; i < invalid.length; i++) {
      // A keyword field became chips: its entry is what takes the typing.
      var field = document.getElementById(invalid[i].id + "-entry") || invalid[i];
      if (field.type !== "hidden" && !field.disabled && field.getClientRects().length) {
        field.focus();
        return;
      }
    }
    var summary = scope.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  function pickRegionFromCode(input) {
    var select = document.getElementById(input.dataset.regionField);
    if (!select || (select.value && !select.dataset.regionPicked)) return;
    var code = input.value.normalize("NFKC").replace(/\s+/g, "").toUpperCase().slice(2, 8);
    var found = /^[0-9]{6}$/.test(code) &&
      Array.prototype.some.call(select.options, function (o) { return o.value === code; });
    if (found && select.value !== code) {
      select.value = code;
      select.dataset.regionPicked = "1";
    }
  }
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.dataset && target.dataset.regionField) pickRegionFromCode(target);
  });
  document.addEventListener("change", function (event) {
    // The firm's own choice in the list is kept from then on.
    if (event.isTrusted && event.target.dataset) delete event.target.dataset.regionPicked;
  });

  function enhance(root) {
    Array.prototype.forEach.call(root.querySelectorAll("input[data-tags]"), enhanceTags);
  }
  // On a phone the filters fold away; a swap of the list keeps them open if they were.
  var filtersOpen = false;
  var refocusId = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var more = document.getElementById("facet-more");
    filtersOpen = !!(more && more.classList.contains("show"));
    var target = event.detail && event.detail.target;
    var active = document.activeElement;
    refocusId = target && target.id && active && active !== document.body &&
      target.contains(active) ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!refocusId) return;
    var part = document.getElementById(refocusId);
    refocusId = null;
    if (!part || part.contains(document.activeElement)) return;
    var alert = part.querySelector('[role="alert"]');
    if (alert) {
      alert.setAttribute("tabindex", "-1");
      alert.focus();
      return;
    }
    var control = part.querySelector("button:not([disabled]), a[href], summary, input:not([type=hidden])");
    if (control) control.focus();
  });
  // What was typed, kept across the language switch (see the top of this file).
  var TYPED = "portal:typed";
  var VERSION = " version";  // no field's key (those end in "#n")
  var TYPED_FIELD = new RegExp("^(text|textarea|select-one|select-multiple|checkbox|radio|" +
    "number|date|email|tel|url|search)$");
  function typedFields(form, visit) {
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      var tags = el.type === "hidden" && el.hasAttribute("data-tags");
      if (!el.name || el.disabled || !(tags || TYPED_FIELD.test(el.type))) return;
      var key = el.name + (el.type === "checkbox" || el.type === "radio" ? "=" + el.value : "");
      seen[key] = (seen[key] || 0) + 1;
      visit(el, key + "#" + seen[key]);
    });
  }
  // The field's value now, or the one the page drew (drawn).
  function fieldValue(el, drawn) {
    var check = el.type === "checkbox" || el.type === "radio";
    if (check) return drawn ? el.defaultChecked : el.checked;
    if (el.options) {
      var picked = Array.prototype.filter.call(el.options, function (o) {
        return drawn ? o.defaultSelected : o.selected;
      }).map(function (o) { return o.value; });
      // A list with no option marked selected is drawn showing its first.
      return picked.length || !el.options.length || el.multiple ? picked : [el.options[0].value];
    }
    if (!drawn) return el.value;
    return el.dataset.tagsDrawn !== undefined ? el.dataset.tagsDrawn : el.defaultValue;
  }
  function formKey(form, index) { return index + " " + (form.getAttribute("action") || ""); }
  function keepTyped(switcher) {
    var every = !!document.body.dataset.pageUrl;
    var forms = {};
    Array.prototype.forEach.call(document.forms, function (form, index) {
      if (form === switcher) return;
      typedFields(form, function (el, key) {
        if (el.dataset.regionPicked) return;
        var value = fieldValue(el, false);
        if (!every && JSON.stringify(value) === JSON.stringify(fieldValue(el, true))) return;
        (forms[formKey(form, index)] = forms[formKey(form, index)] || {})[key] = value;
      });
      // The version the typing was done on goes back with it: the page drawn again may
      // hold a colleague's newer save, which the typing must not overwrite unseen (the
      // stale check then shows both, as it does without the switch).
      var kept = forms[formKey(form, index)];
      if (kept && form.elements.version && form.elements.version.type === "hidden") {
        kept[VERSION] = form.elements.version.value;
      }
    });
    var next = switcher.elements.next;
    try {
      sessionStorage.setItem(TYPED, JSON.stringify({
        path: new URL(next ? next.value : "", window.location.href).pathname,
        at: Date.now(),
        forms: forms
      }));
    } catch (e) { /* no storage (private mode, full): the switch goes on without it */ }
  }
  function restoreTyped() {
    var kept;
    try {
      kept = JSON.parse(sessionStorage.getItem(TYPED) || "null");
      sessionStorage.removeItem(TYPED);
    } catch (e) { return; }
    if (!kept || !kept.forms || kept.path !== window.location.pathname ||
        !(Date.now() - kept.at < 60000)) return;
    var restored = [];
    Array.prototype.forEach.call(document.forms, function (form, index) {
      var fields = kept.forms[formKey(form, index)];
      if (!fields) return;
      typedFields(form, function (el, key) {
        if (!(key in fields)) return;
        var value = fields[key];
        if (typeof value === "boolean") el.checked = value;
        else if (el.options) {
          Array.prototype.forEach.call(el.options, function (o) {
            o.selected = value.indexOf(o.value) >= 0;
          });
        } else el.value = value;
        restored.push(el);
      });
      if (fields[VERSION] !== undefined && form.elements.version) {
        form.elements.version.value = fields[VERSION];
      }
    });
    // What follows a field (the shares of weights, the region of a credit code) follows it
    // back, once every field is back.
    restored.forEach(function (el) { el.dispatchEvent(new Event("input", { bubbles: true })); });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute("data-keeps-typing")) return;
    // The switch returns to the address shown now: htmx has pushed the list's filters
    // into it since the page (and the switch's own "next") was drawn.
    if (form.elements.next) {
      form.elements.next.value = location.pathname + location.search + location.hash;
    }
    keepTyped(form);
  });

  // A create form's token (its hidden "once" field), sent: the browser's Back draws the form
  // again (pages are not stored) with a new token while it puts back what was typed, and a
  // second 保存 created a second item. Back puts the sent token back, so the server says
  // which item the form already saved instead.
  var SENT_ONCE = "portal:once ";
  function onceKey(form) {
    return SENT_ONCE + new URL(form.getAttribute("action") || "", location.href).pathname;
  }
  document.addEventListener("submit", function (event) {
    var once = event.target.elements && event.target.elements.once;
    if (event.defaultPrevented || !once || once.type !== "hidden" || !once.value) return;
    try { sessionStorage.setItem(onceKey(event.target), once.value); } catch (e) { /* none */ }
  });
  function restoreSentOnce() {
    var nav = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (!nav || nav.type !== "back_forward") return;
    Array.prototype.forEach.call(document.forms, function (form) {
      var once = form.elements.once;
      if (!once || once.type !== "hidden") return;
      try {
        var sent = sessionStorage.getItem(onceKey(form));
        if (sent) once.value = sent;
      } catch (e) { /* no storage: the server's guard sees a new form */ }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    restoreSentOnce();
    restoreTyped();
    enhance(document);
    focusFirstError();
    var pageUrl = document.body.dataset.pageUrl;
    if (pageUrl && window.history && history.replaceState) {
      history.replaceState(null, "", pageUrl + window.location.hash);
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // A form asks before it is sent; a button of a form with several asks for itself.
    var button = event.submitter;
    var choice = form.querySelector && form.querySelector("input:checked[data-confirm]");
    var question = (button && button.dataset && button.dataset.confirm) ||
      (choice && choice.dataset.confirm) || (form.dataset && form.dataset.confirm);
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Weights shown as shares that add up: each input of a data-share-group updates the
  // share beside every input of its group (data-share-of="<input id>") as it is typed.
  function updateShares(group) {
    var inputs = document.querySelectorAll('input[data-share-group="' + group + '"]');
    var total = 0;
    Array.prototype.forEach.call(inputs, function (input) {
      var v = parseFloat(input.value);
      if (isFinite(v) && v > 0) total += v;
    });
    Array.prototype.forEach.call(inputs, function (input) {
      var out = document.querySelector('[data-share-of="' + input.id + '"]');
      if (!out) return;
      var v = parseFloat(input.value);
      out.textContent = total > 0 && isFinite(v) && v >= 0 ? Math.round(v / total * 1000) / 10 + "%" : "–";
    });
    var sum = document.querySelector('[data-share-total="' + group + '"]');
    if (sum) sum.textContent = total > 0 ? "100%" : "–";
  }
  document.addEventListener("input", function (event) {
    var group = event.target.dataset && event.target.dataset.shareGroup;
    if (group && group !== "r") updateShares(group);
  });
  // A second tap of a double tap landed on the button the swap had just put under the
  // finger (加入入围名单 became 移出入围, and the pair was off the list again): a swapped
  // card ignores taps for a moment.
  document.addEventListener("click", function (event) {
    var settling = event.target.closest && event.target.closest("[data-just-swapped]");
    if (settling && event.target.closest("button, input[type=submit]")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("htmx:afterSwap", function (event) {
    // outerHTML: the target is the card that left; its successor has the same id.
    var id = ((event.detail && event.detail.target) || {}).id || "";
    var card = /^shortlist-/.test(id) ? document.getElementById(id) : null;
    if (card) {
      card.setAttribute("data-just-swapped", "");
      setTimeout(function () { card.removeAttribute("data-just-swapped"); }, 700);
    }
    enhance(event.target);
    var more = document.getElementById("facet-more");
    if (filtersOpen && more) {
      more.classList.add("show");
      var toggle = document.querySelector('[data-bs-target="#facet-more"]');
      if (toggle) toggle.setAttribute("aria-expanded", "true");
    }
  });
})();
