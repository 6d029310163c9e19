// One partner company as HTML: its name as a heading of the given level, its keywords as a
// list. Text only (textContent), never markup from the API.
export function companyItem(company, headingLevel) {
  const li = document.createElement('li');
  li.className = 'company';
  const heading = document.createElement(`h${headingLevel}`);
  heading.textContent = company.name;
  li.append(heading);
  const keywords = Array.isArray(company.keywords) ? company.keywords : [];
  if (keywords.length) {
    const list = document.createElement('ul');
    list.className = 'keywords';
    list.setAttribute('aria-label', `Keywords of ${company.name}`);
    for (const k of keywords) {
      const item = document.createElement('li');
      item.textContent = k;
      list.append(item);
    }
    li.append(list);
  }
  return li;
}

// A message in place of content that could not be loaded.
export function errorMessage(title, text) {
  const box = document.createElement('div');
  box.className = 'message';
  const strong = document.createElement('strong');
  strong.textContent = title;
  const p = document.createElement('p');
  p.textContent = text;
  box.append(strong, p);
  return box;
}
